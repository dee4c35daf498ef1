"""Claims (issue #11): facilities, referrals, insurer choices, claims with their lines,
documents and history, payout lists; the roles follow config/roles.py."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from config.roles import sync_roles_migration


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("enrollment", "0012_roles_full_id"),
        ("policies", "0008_city_differences"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Facility",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "name",
                    models.CharField(max_length=128, unique=True, verbose_name="facility name"),
                ),
                (
                    "level",
                    models.CharField(
                        choices=[
                            ("campus", "Campus clinic"),
                            ("community", "Community health centre"),
                            ("1", "Level 1"),
                            ("2", "Level 2"),
                            ("3", "Level 3"),
                        ],
                        max_length=16,
                        verbose_name="facility level",
                    ),
                ),
                ("city", models.CharField(blank=True, max_length=32, verbose_name="city")),
                ("designated", models.BooleanField(default=True, verbose_name="designated")),
            ],
            options={
                "verbose_name": "facility",
                "verbose_name_plural": "facilities",
                "ordering": ["name"],
            },
        ),
        migrations.CreateModel(
            name="Claim",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.CharField(max_length=16, unique=True, verbose_name="claim number"),
                ),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("emergency_cash", "Emergency care paid in cash"),
                            ("inpatient", "Inpatient"),
                            ("remote", "Care out of the city"),
                            ("freshman_before_account", "Freshman care before the account"),
                            ("referred_outpatient", "Outpatient off campus (referred)"),
                            ("catastrophic", "Catastrophic illness"),
                        ],
                        max_length=32,
                        verbose_name="claim type",
                    ),
                ),
                (
                    "channel",
                    models.CharField(
                        choices=[
                            ("window", "At the window"),
                            ("online", "Online"),
                            ("proxy", "By proxy"),
                        ],
                        default="window",
                        max_length=16,
                        verbose_name="claim channel",
                    ),
                ),
                (
                    "submitted_on",
                    models.DateField(blank=True, null=True, verbose_name="submitted on"),
                ),
                (
                    "remote_registration",
                    models.CharField(
                        choices=[
                            ("none", "None"),
                            ("long_term", "Long-term"),
                            ("referral", "By referral"),
                            ("temporary", "Temporary"),
                        ],
                        default="none",
                        max_length=16,
                        verbose_name="remote-care registration",
                    ),
                ),
                (
                    "remote_registration_valid_until",
                    models.DateField(
                        blank=True, null=True, verbose_name="registration valid until"
                    ),
                ),
                ("out_of_city", models.BooleanField(default=False, verbose_name="out of the city")),
                (
                    "payer",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("bureau", "Medical insurance fund"),
                            ("school_outpatient_fund", "School outpatient fund"),
                            ("insurer", "Catastrophic insurer"),
                        ],
                        max_length=32,
                        verbose_name="paid by",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("in_review", "In review"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("paid", "Paid out"),
                        ],
                        default="draft",
                        max_length=16,
                        verbose_name="state",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                (
                    "rejection_code",
                    models.CharField(blank=True, max_length=32, verbose_name="rejection code"),
                ),
                (
                    "rejection_message",
                    models.TextField(blank=True, verbose_name="rejection reason"),
                ),
                (
                    "bank_account",
                    models.CharField(blank=True, max_length=32, verbose_name="bank account"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "fund",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="fund pays",
                    ),
                ),
                (
                    "catastrophic",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="catastrophic cover pays",
                    ),
                ),
                (
                    "student_pays",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="student pays",
                    ),
                ),
                ("breakdown", models.JSONField(blank=True, default=dict, verbose_name="breakdown")),
                (
                    "rules_version",
                    models.CharField(blank=True, max_length=96, verbose_name="rules version"),
                ),
                (
                    "approved_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="approved at"),
                ),
                (
                    "approval_sequence",
                    models.PositiveIntegerField(
                        blank=True, null=True, verbose_name="approval order"
                    ),
                ),
                (
                    "approved_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="approved by",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="created by",
                    ),
                ),
                (
                    "enrollment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="claims",
                        to="enrollment.enrollment",
                        verbose_name="enrollment",
                    ),
                ),
                (
                    "policy_year",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="policies.policyyear",
                        verbose_name="policy year",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="claims",
                        to="enrollment.student",
                        verbose_name="student",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim",
                "verbose_name_plural": "claims",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="ClaimEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "from_state",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("in_review", "In review"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("paid", "Paid out"),
                        ],
                        max_length=16,
                        verbose_name="from",
                    ),
                ),
                (
                    "to_state",
                    models.CharField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Submitted"),
                            ("in_review", "In review"),
                            ("approved", "Approved"),
                            ("rejected", "Rejected"),
                            ("paid", "Paid out"),
                        ],
                        max_length=16,
                        verbose_name="to",
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason")),
                ("at", models.DateTimeField(auto_now_add=True, verbose_name="at")),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="by",
                    ),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="claims.claim",
                        verbose_name="claim",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim event",
                "verbose_name_plural": "claim events",
                "ordering": ["at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="ClaimPayoutList",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("sha256", models.CharField(blank=True, max_length=64, verbose_name="SHA-256")),
                ("content", models.BinaryField(null=True, verbose_name="file")),
                ("number", models.PositiveIntegerField(unique=True, verbose_name="list number")),
                ("year", models.PositiveSmallIntegerField(verbose_name="year")),
                ("rows", models.PositiveIntegerField(verbose_name="rows")),
                (
                    "total",
                    models.DecimalField(decimal_places=2, max_digits=14, verbose_name="total"),
                ),
                ("frozen_at", models.DateTimeField(auto_now_add=True, verbose_name="frozen at")),
                (
                    "frozen_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="frozen by",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim payout list",
                "verbose_name_plural": "claim payout lists",
                "ordering": ["-number"],
                "permissions": [
                    (
                        "export_claimpayoutlist",
                        "Can export claim payout lists with full bank accounts",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Referral",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "number",
                    models.CharField(max_length=32, unique=True, verbose_name="referral number"),
                ),
                ("issued_on", models.DateField(verbose_name="issued on")),
                ("valid_until", models.DateField(verbose_name="valid until")),
                (
                    "facility",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="referrals",
                        to="claims.facility",
                        verbose_name="referred to",
                    ),
                ),
                (
                    "issued_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="issued by",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="referrals",
                        to="enrollment.student",
                        verbose_name="student",
                    ),
                ),
            ],
            options={
                "verbose_name": "referral",
                "verbose_name_plural": "referrals",
                "ordering": ["-issued_on", "number"],
            },
        ),
        migrations.AddField(
            model_name="claim",
            name="referral",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="claims",
                to="claims.referral",
                verbose_name="referral",
            ),
        ),
        migrations.CreateModel(
            name="ClaimDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("invoice", "Invoice"),
                            ("medical_record", "Medical record"),
                            ("itemised_list", "Itemised list of charges"),
                            ("discharge_summary", "Discharge summary"),
                            ("bank_card", "Bank card"),
                            ("social_security_card", "Social security card"),
                            ("applicant_id", "Applicant's ID card"),
                            ("proxy_id", "Proxy's ID card"),
                            ("referral_slip", "Referral slip"),
                            ("remote_registration", "Remote-care registration proof"),
                        ],
                        max_length=32,
                        verbose_name="document",
                    ),
                ),
                ("received", models.BooleanField(default=False, verbose_name="received")),
                (
                    "scan",
                    models.FileField(
                        blank=True, upload_to="claim-documents/%Y/", verbose_name="scan"
                    ),
                ),
                (
                    "received_at",
                    models.DateTimeField(blank=True, null=True, verbose_name="received at"),
                ),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="documents",
                        to="claims.claim",
                        verbose_name="claim",
                    ),
                ),
                (
                    "received_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="received by",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim document",
                "verbose_name_plural": "claim documents",
                "ordering": ["claim", "pk"],
                "constraints": [
                    models.UniqueConstraint(fields=("claim", "kind"), name="claim_document_once")
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimPayoutEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveIntegerField(verbose_name="position")),
                (
                    "amount",
                    models.DecimalField(decimal_places=2, max_digits=12, verbose_name="amount"),
                ),
                ("row", models.JSONField(verbose_name="row as written")),
                (
                    "claim",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payout_entry",
                        to="claims.claim",
                        verbose_name="claim",
                    ),
                ),
                (
                    "payout_list",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="entries",
                        to="claims.claimpayoutlist",
                        verbose_name="claim payout list",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim payout list entry",
                "verbose_name_plural": "claim payout list entries",
                "ordering": ["payout_list", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("payout_list", "position"), name="claim_payout_position_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ClaimLine",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(verbose_name="position")),
                ("invoice_number", models.CharField(max_length=64, verbose_name="invoice number")),
                ("invoice_date", models.DateField(verbose_name="invoice date")),
                ("visit_date", models.DateField(verbose_name="visit date")),
                (
                    "discharge_date",
                    models.DateField(blank=True, null=True, verbose_name="discharge date"),
                ),
                (
                    "care",
                    models.CharField(
                        choices=[
                            ("outpatient", "Outpatient"),
                            ("emergency", "Emergency"),
                            ("inpatient", "Inpatient"),
                            ("maternity", "Maternity"),
                            ("chronic_outpatient", "Chronic/special outpatient"),
                        ],
                        max_length=32,
                        verbose_name="care type",
                    ),
                ),
                (
                    "level",
                    models.CharField(
                        choices=[
                            ("campus", "Campus clinic"),
                            ("community", "Community health centre"),
                            ("1", "Level 1"),
                            ("2", "Level 2"),
                            ("3", "Level 3"),
                        ],
                        max_length=16,
                        verbose_name="facility level",
                    ),
                ),
                (
                    "facility_name",
                    models.CharField(blank=True, max_length=128, verbose_name="facility name"),
                ),
                (
                    "total",
                    models.DecimalField(
                        decimal_places=2, max_digits=12, verbose_name="invoice total"
                    ),
                ),
                (
                    "in_scope",
                    models.DecimalField(
                        decimal_places=2, max_digits=12, verbose_name="within insurance scope"
                    ),
                ),
                (
                    "out_of_scope",
                    models.DecimalField(
                        decimal_places=2,
                        default=0,
                        max_digits=12,
                        verbose_name="outside insurance scope",
                    ),
                ),
                (
                    "catastrophic_disease",
                    models.CharField(
                        blank=True, max_length=48, verbose_name="catastrophic disease"
                    ),
                ),
                ("excluded", models.CharField(blank=True, max_length=32, verbose_name="exclusion")),
                (
                    "stay_key",
                    models.CharField(blank=True, max_length=64, verbose_name="stay number"),
                ),
                (
                    "fund",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="fund pays",
                    ),
                ),
                (
                    "catastrophic",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="catastrophic cover pays",
                    ),
                ),
                (
                    "student",
                    models.DecimalField(
                        blank=True,
                        decimal_places=2,
                        max_digits=12,
                        null=True,
                        verbose_name="student pays",
                    ),
                ),
                ("status", models.CharField(blank=True, max_length=32, verbose_name="result")),
                ("steps", models.JSONField(blank=True, default=list, verbose_name="steps")),
                (
                    "claim",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="claims.claim",
                        verbose_name="claim",
                    ),
                ),
                (
                    "duplicate_of",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="duplicates",
                        to="claims.claimline",
                        verbose_name="duplicate of",
                    ),
                ),
                (
                    "facility",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="claims.facility",
                        verbose_name="facility",
                    ),
                ),
            ],
            options={
                "verbose_name": "claim line",
                "verbose_name_plural": "claim lines",
                "ordering": ["claim", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("claim", "position"), name="claim_line_position"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("duplicate_of__isnull", True)),
                        fields=("invoice_number",),
                        name="claim_line_invoice_once",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("in_scope__gte", 0),
                            ("out_of_scope__gte", 0),
                            ("in_scope__lte", models.F("total")),
                        ),
                        name="claim_line_amounts",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="InsurerChoice",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("insurer", models.CharField(max_length=64, verbose_name="catastrophic insurer")),
                ("chosen_on", models.DateField(verbose_name="chosen on")),
                (
                    "recorded_at",
                    models.DateTimeField(auto_now_add=True, verbose_name="recorded at"),
                ),
                (
                    "policy_year",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="policies.policyyear",
                        verbose_name="policy year",
                    ),
                ),
                (
                    "recorded_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="recorded by",
                    ),
                ),
                (
                    "student",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="insurer_choices",
                        to="enrollment.student",
                        verbose_name="student",
                    ),
                ),
            ],
            options={
                "verbose_name": "catastrophic insurer choice",
                "verbose_name_plural": "catastrophic insurer choices",
                "ordering": ["-policy_year__year", "student__student_number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("student", "policy_year"), name="insurer_choice_once_per_year"
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="referral",
            constraint=models.CheckConstraint(
                condition=models.Q(("valid_until__gte", models.F("issued_on"))),
                name="referral_dates_ordered",
            ),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["student", "policy_year"], name="claim_student_year"),
        ),
        migrations.AddIndex(
            model_name="claim",
            index=models.Index(fields=["policy_year", "state"], name="claim_year_state"),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.UniqueConstraint(
                condition=models.Q(("approval_sequence__isnull", False)),
                fields=("approval_sequence",),
                name="claim_approval_sequence_once",
            ),
        ),
        migrations.AddConstraint(
            model_name="claim",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("catastrophic__gte", 0), ("fund__gte", 0), ("student_pays__gte", 0)),
                    ("fund__isnull", True),
                    _connector="OR",
                ),
                name="claim_breakdown_not_negative",
            ),
        ),
        migrations.RunPython(sync_roles_migration, migrations.RunPython.noop),
    ]
