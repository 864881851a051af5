"""Keystroke batches move from jsonb [[pos, typed, t], ...] to packed bytes (lessons.keypack).

Existing rows are converted in chunks of 1,000 by primary key, so no step holds the whole table
in memory; the reverse unpacks them back into the JSON column. On PostgreSQL the old column's
space is given back only by VACUUM (FULL to shrink the file) after the migration.
"""

from django.db import migrations, models

import lessons.keypack

CHUNK = 1_000


def _convert(apps, schema_editor, source, target):
    """Copy every batch's keys from the `source` field to the `target` field, 1,000 rows at a
    time by primary key; each value is decoded by the source field and encoded by the target."""
    Batch = apps.get_model("lessons", "KeystrokeBatch")
    connection = schema_editor.connection
    field = Batch._meta.get_field(target)
    qn = connection.ops.quote_name
    update = (
        f"UPDATE {qn(Batch._meta.db_table)} SET {qn(field.column)} = %s "
        f"WHERE {qn(Batch._meta.pk.column)} = %s"
    )
    last = 0
    while True:
        rows = list(
            Batch.objects.using(connection.alias)
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", source)[:CHUNK]
        )
        if not rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(
                update, [(field.get_db_prep_save(keys, connection), pk) for pk, keys in rows]
            )
        last = rows[-1][0]


def pack_rows(apps, schema_editor):
    _convert(apps, schema_editor, "keys", "keys_packed")


def unpack_rows(apps, schema_editor):
    _convert(apps, schema_editor, "keys_packed", "keys")


class Migration(migrations.Migration):
    dependencies = [
        ("lessons", "0002_session_completed_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="keystrokebatch",
            name="keys_packed",
            field=lessons.keypack.PackedKeysField(null=True),
        ),
        migrations.AlterField(
            model_name="keystrokebatch",
            name="keys",
            field=models.JSONField(null=True),
        ),
        migrations.RunPython(pack_rows, unpack_rows),
        migrations.RemoveField(
            model_name="keystrokebatch",
            name="keys",
        ),
        migrations.RenameField(
            model_name="keystrokebatch",
            old_name="keys_packed",
            new_name="keys",
        ),
        migrations.AlterField(
            model_name="keystrokebatch",
            name="keys",
            field=lessons.keypack.PackedKeysField(),
        ),
        migrations.AlterField(
            model_name="keystrokebatch",
            name="session",
            field=models.ForeignKey(
                db_index=False,
                on_delete=models.deletion.CASCADE,
                related_name="batches",
                to="lessons.practicesession",
            ),
        ),
    ]
