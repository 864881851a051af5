from django.db import migrations, models


def older_exercises(apps, schema_editor):
    """Exercises made before had no purpose: those without focus were common words."""
    Exercise = apps.get_model("coach", "Exercise")
    Exercise.objects.filter(focus_keys="", focus_bigrams="").update(purpose="warm_up")


class Migration(migrations.Migration):
    dependencies = [
        ("coach", "0003_reports_exercises_chat"),
    ]

    operations = [
        migrations.AddField(
            model_name="exercise",
            name="purpose",
            field=models.CharField(
                choices=[
                    ("weak_keys", "Weak keys"),
                    ("slow_pairs", "Slow pairs"),
                    ("home_row", "Home row"),
                    ("keys", "Chosen keys"),
                    ("warm_up", "Warm-up"),
                ],
                default="keys",
                help_text="What the exercise trains; its title and page say so.",
                max_length=12,
            ),
        ),
        migrations.RunPython(older_exercises, migrations.RunPython.noop),
    ]
