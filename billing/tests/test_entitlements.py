"""The one entitlement function: who has Premium, memoised per user object."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.entitlements import FREE, is_premium, plan_for, plan_from, with_plans
from typingtrainer.models import User

DAY = 86400


def subscription(status: str, *, created: int = 0, **extra) -> dict:
    now = int(time.time())
    return {
        "status": status,
        "created": created or now,
        "cancel_at_period_end": False,
        "cancel_at": None,
        "items": {
            "data": [
                {
                    "price": {"lookup_key": "premium_monthly"},
                    "current_period_end": now + 30 * DAY,
                }
            ]
        },
        **extra,
    }


@pytest.mark.parametrize(
    ("status", "premium"),
    [
        ("active", True),
        ("trialing", True),
        ("past_due", True),  # Stripe is still retrying the payment
        ("unpaid", False),
        ("canceled", False),
        ("incomplete", False),
        ("incomplete_expired", False),
        ("paused", False),
    ],
)
def test_premium_follows_the_subscription_status(status, premium):
    assert plan_from([subscription(status)]).is_premium is premium


def test_no_subscription_is_free():
    assert plan_from([]) == FREE


def test_an_active_subscription_wins_over_an_older_cancelled_one():
    plan = plan_from(
        [subscription("canceled", created=2_000_000_000), subscription("active", created=1)]
    )
    assert plan.is_premium
    assert plan.name == "Premium monthly"


def test_cancelling_at_period_end_keeps_premium_and_gives_the_end_date():
    end = int(time.time()) + 10 * DAY
    plan = plan_from([subscription("active", cancel_at=end)])
    assert plan.is_premium
    assert plan.cancel_at_period_end
    assert plan.ends_at is not None
    assert int(plan.ends_at.timestamp()) == end
    assert plan.renews_at is None


def test_the_period_end_is_read_from_the_subscription_when_an_old_api_version_put_it_there():
    end = int(time.time()) + 5 * DAY
    plan = plan_from([subscription("active", current_period_end=end, items={"data": []})])
    assert plan.renews_at is not None
    assert int(plan.renews_at.timestamp()) == end
    assert plan.name == "Premium"  # no price to name it by


def test_past_due_is_premium_with_a_failed_payment_and_unpaid_is_free_with_one():
    assert plan_from([subscription("past_due")]).payment_failed
    unpaid = plan_from([subscription("unpaid")])
    assert (unpaid.is_premium, unpaid.payment_failed) == (False, True)


def test_anonymous_visitors_are_never_premium_and_cost_no_query():
    # No database access is allowed in this test: a query would fail it.
    assert not is_premium(AnonymousUser())
    assert plan_for(AnonymousUser()) == FREE


@pytest.mark.django_db
def test_gating_many_lessons_asks_the_database_once_per_user_object(
    subscribe, learner, django_assert_num_queries
):
    subscribe(learner)
    user = User.objects.get(pk=learner.pk)

    with django_assert_num_queries(1):
        assert all(is_premium(user) for _ in range(50))


@pytest.mark.django_db
def test_with_plans_answers_for_a_whole_list_of_users_in_a_fixed_number_of_queries(
    subscribe, learner, other_learner, staff
):
    subscribe(learner)
    subscribe(other_learner, plan="premium_yearly")

    with CaptureQueriesContext(connection) as queries:
        users = list(with_plans(User.objects.order_by("email")))
        plans = {user.email: plan_for(user).name for user in users}

    assert plans == {
        "learner@example.com": "Premium monthly",
        "other@example.com": "Premium yearly",
        "staff@example.com": "Free",
    }
    assert len(queries) == 3  # users, their customers, their subscriptions
