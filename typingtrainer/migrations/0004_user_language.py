from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("typingtrainer", "0003_user_avatar"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="language",
            field=models.CharField(
                blank=True,
                choices=[("en", "English"), ("ru", "Русский")],
                default="",
                help_text="The language of the site, your weekly email and the coach.",
                max_length=8,
                verbose_name="language",
            ),
        ),
    ]
