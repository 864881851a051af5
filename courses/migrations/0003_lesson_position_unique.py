from django.db import migrations, models


def renumber_ties(apps, schema_editor):
    """Positions 1..n per course in the order learners saw them (position, then id), so ties
    and gaps go before positions become unique."""
    Lesson = apps.get_model("courses", "Lesson")
    course_ids = Lesson.objects.values_list("course_id", flat=True).distinct()
    for course_id in course_ids:
        lessons = Lesson.objects.filter(course_id=course_id).order_by("position", "id")
        for number, pk in enumerate(lessons.values_list("pk", flat=True), start=1):
            Lesson.objects.filter(pk=pk).update(position=number)


class Migration(migrations.Migration):
    dependencies = [("courses", "0002_authors_group")]

    operations = [
        migrations.RunPython(renumber_ties, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="lesson",
            constraint=models.UniqueConstraint(
                fields=("course", "position"), name="lesson_position_unique_in_course"
            ),
        ),
    ]
