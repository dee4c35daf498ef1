"""Seed who pays each seeded benefit rule: the school pays Wuhan's ordinary outpatient care
from its own outpatient fund (wuhan-2025-student-insurance-notice.txt 五.1); everything
else is the basic fund, the field's default. The payers come from policies/catalog.py."""

from django.db import migrations

from policies.catalog import CATALOG


def seed_payers(apps, schema_editor):
    BenefitRule = apps.get_model("policies", "BenefitRule")
    for code, rules in CATALOG.items():
        for rule in rules.benefit_rules:
            BenefitRule.objects.filter(
                policy_year__code=code, care=rule.care, level=rule.level
            ).update(payer=rule.payer)


class Migration(migrations.Migration):
    dependencies = [("policies", "0003_benefit_rule_payer")]

    operations = [migrations.RunPython(seed_payers, migrations.RunPython.noop)]
