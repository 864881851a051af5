"""Staff see each user's plan in the admin, without a query per row."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_user_list_shows_each_plan(client, subscribe, deliver, fake_stripe, staff, learner):
    subscribe(learner)
    cancelling = make_user("leaving@example.com")
    subscription = subscribe(cancelling, plan="premium_yearly")
    end = subscription["items"]["data"][0]["current_period_end"]
    subscription.update(cancel_at_period_end=True, cancel_at=end)
    deliver(fake_stripe.event("customer.subscription.updated", subscription))
    client.force_login(staff)

    page = client.get("/admin/typingtrainer/user/").content.decode()

    assert '<th scope="col" class="column-plan">' in page
    assert '<td class="field-plan">Premium monthly</td>' in page
    ends = time.strftime("%Y-%m-%d", time.gmtime(end))
    assert f'<td class="field-plan">Premium yearly (ends {ends})</td>' in page
    assert '<td class="field-plan">Free</td>' in page  # staff


def test_the_user_list_costs_the_same_queries_for_many_users(client, subscribe, staff, learner):
    client.force_login(staff)
    subscribe(learner)
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/typingtrainer/user/")
    for n in range(8):
        subscribe(make_user(f"learner{n}@example.com"))

    with CaptureQueriesContext(connection) as many:
        page = client.get("/admin/typingtrainer/user/").content.decode()

    assert page.count('<td class="field-plan">Premium monthly</td>') == 9
    assert len(many) == len(few)


def test_a_users_page_shows_the_plan_read_only(client, subscribe, staff, learner):
    subscribe(learner)
    client.force_login(staff)

    page = client.get(f"/admin/typingtrainer/user/{learner.pk}/change/").content.decode()

    assert "Billing" in page
    assert '<div class="readonly">Premium monthly</div>' in page
