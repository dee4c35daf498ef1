"""Payment lists and declaration batches keep their file through one abstract model,
office.FrozenExport: a payment list's file and digest take the batch's field definitions
(the file may be empty, the digest blank). Only the column's NULL constraint changes;
every stored file and digest stays as it is (a list frozen before files were kept still
has an empty file, see 0007)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0007_payment_list_files")]

    operations = [
        migrations.AlterField(
            model_name="paymentlist",
            name="content",
            field=models.BinaryField(null=True, verbose_name="file"),
        ),
        migrations.AlterField(
            model_name="paymentlist",
            name="sha256",
            field=models.CharField(blank=True, max_length=64, verbose_name="SHA-256"),
        ),
    ]
