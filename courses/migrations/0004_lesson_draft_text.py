from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("courses", "0003_lesson_position_unique")]

    operations = [
        migrations.AddField(
            model_name="lesson",
            name="draft_text",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="A new text for a published lesson, which learners get once it is published.",
            ),
        ),
    ]
