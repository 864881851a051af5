"""A small fake of the Stripe API on 127.0.0.1, driven through the real stripe SDK and dj-stripe.

It keeps objects in memory, answers the calls our code and dj-stripe make (creating customers,
Checkout and portal sessions, products and prices; retrieving what dj-stripe re-fetches while
processing a webhook), records every request, and serves tiny HTML pages for the hosted Checkout
and portal URLs it hands out. Unknown objects get Stripe's 404.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe

API_VERSION = "2026-05-27.dahlia"
DAY = 24 * 60 * 60


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, Any]


def decode_params(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (`a[b][0][c]=v`) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(root)


def _lists(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists(value) for key, value in node.items()}
    if converted and all(key.isdigit() for key in converted):
        return [converted[key] for key in sorted(converted, key=int)]
    return converted


def listing(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": False, "url": url}


class FakeStripe:
    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.server.daemon_threads = True
        host, port = self.server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self.account = {
            "id": "acct_fake",
            "object": "account",
            "business_profile": {"name": "TypingTrainer"},
            "charges_enabled": True,
            "country": "US",
            "default_currency": "usd",
            "email": "billing@typingtrainer.test",
            "type": "standard",
            "created": int(time.time()) - 365 * DAY,
            "metadata": {},
        }
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ---

    def start(self) -> FakeStripe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- what tests inspect ---

    def received(self, method: str, path: str) -> list[Recorded]:
        """Requests with this method whose path is `path` or starts with `path` + "/"."""
        return [
            r
            for r in self.requests
            if r.method == method and (r.path == path or r.path.startswith(path.rstrip("/") + "/"))
        ]

    # --- building state ---

    def new_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_fake{next(self._ids):04d}"

    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def of_type(self, object_name: str) -> list[dict[str, Any]]:
        return [obj for obj in self.objects.values() if obj.get("object") == object_name]

    def product(self, *, name: str = "TypingTrainer Premium", **extra: Any) -> dict[str, Any]:
        return self.put(
            {
                "id": self.new_id("prod"),
                "object": "product",
                "name": name,
                "active": True,
                "description": None,
                "default_price": None,
                "livemode": False,
                "created": int(time.time()),
                "metadata": {},
                "type": "service",
                **extra,
            }
        )

    def price(
        self, *, product: str, unit_amount: int, interval: str, lookup_key: str | None, **extra: Any
    ) -> dict[str, Any]:
        return self.put(
            {
                "id": self.new_id("price"),
                "object": "price",
                "active": True,
                "billing_scheme": "per_unit",
                "currency": "usd",
                "unit_amount": unit_amount,
                "unit_amount_decimal": str(unit_amount),
                "recurring": {"interval": interval, "interval_count": 1, "usage_type": "licensed"},
                "type": "recurring",
                "lookup_key": lookup_key,
                "nickname": None,
                "product": product,
                "livemode": False,
                "created": int(time.time()),
                "metadata": {},
                "tiers_mode": None,
                **extra,
            }
        )

    def customer(self, *, email: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.put(
            {
                "id": self.new_id("cus"),
                "object": "customer",
                "email": email,
                "name": None,
                "description": None,
                "metadata": metadata or {},
                "livemode": False,
                "created": int(time.time()),
                "invoice_settings": {"default_payment_method": None},
                "default_source": None,
                "delinquent": False,
                "balance": 0,
                "currency": "usd",
            }
        )

    def subscription(
        self,
        *,
        customer: str,
        price: dict[str, Any],
        status: str = "active",
        period_days: int = 30,
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = int(time.time())
        subscription_id = self.new_id("sub")
        item = {
            "id": self.new_id("si"),
            "object": "subscription_item",
            "created": now,
            "metadata": {},
            "price": price,
            "quantity": 1,
            "subscription": subscription_id,
            "tax_rates": [],
            # Since API 2025-03-31 the billing period lives on the items only.
            "current_period_start": now,
            "current_period_end": now + period_days * DAY,
        }
        return self.put(
            {
                "id": subscription_id,
                "object": "subscription",
                "customer": customer,
                "status": status,
                "livemode": False,
                "created": now,
                "start_date": now,
                "cancel_at_period_end": False,
                "cancel_at": None,
                "canceled_at": None,
                "ended_at": None,
                "collection_method": "charge_automatically",
                "currency": "usd",
                "default_payment_method": None,
                "latest_invoice": None,
                "metadata": metadata or {},
                "items": listing([item], f"/v1/subscription_items?subscription={subscription_id}"),
            }
        )

    def invoice(
        self, *, customer: str, subscription: str, status: str = "paid", total: int = 800
    ) -> dict[str, Any]:
        invoice_id = self.new_id("in")
        return self.put(
            {
                "id": invoice_id,
                "object": "invoice",
                "customer": customer,
                "parent": {
                    "type": "subscription_details",
                    "subscription_details": {"subscription": subscription, "metadata": {}},
                },
                "status": status,
                "number": f"TT-{invoice_id[-4:]}",
                "currency": "usd",
                "total": total,
                "subtotal": total,
                "amount_due": total,
                "amount_paid": total if status == "paid" else 0,
                "attempt_count": 1,
                "billing_reason": "subscription_cycle",
                "hosted_invoice_url": f"https://invoice.stripe.com/i/{invoice_id}",
                "invoice_pdf": f"https://pay.stripe.com/invoice/{invoice_id}/pdf",
                "livemode": False,
                "created": int(time.time()),
                "metadata": {},
                "discounts": [],
                "default_payment_method": None,
                "lines": listing([], f"/v1/invoices/{invoice_id}/lines"),
            }
        )

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        """A webhook event about (a snapshot of) `obj`."""
        return {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "data": {"object": json.loads(json.dumps(obj))},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }

    # --- the API ---

    def handle(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any]:
        for route_method, pattern, action in self._routes():
            match = re.fullmatch(pattern, path)
            if route_method == method and match:
                return action(params, *match.groups())
        return _missing(path)

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", r"/v1/account", lambda params: (200, self.account)),
            ("POST", r"/v1/customers", self._create_customer),
            ("GET", r"/v1/customers/([^/]+)", self._get("customer")),
            ("POST", r"/v1/customers/([^/]+)", self._update("customer")),
            ("DELETE", r"/v1/customers/([^/]+)", self._delete_customer),
            ("GET", r"/v1/subscriptions/([^/]+)", self._get("subscription")),
            ("GET", r"/v1/products", self._list("product")),
            ("POST", r"/v1/products", self._create_product),
            ("GET", r"/v1/products/([^/]+)", self._get("product")),
            ("POST", r"/v1/products/([^/]+)", self._update("product")),
            ("GET", r"/v1/products/([^/]+)/features", self._features),
            ("GET", r"/v1/prices", self._list_prices),
            ("POST", r"/v1/prices", self._create_price),
            ("GET", r"/v1/prices/([^/]+)", self._get("price")),
            ("POST", r"/v1/prices/([^/]+)", self._update_price),
            ("GET", r"/v1/invoices/([^/]+)", self._get("invoice")),
            ("POST", r"/v1/checkout/sessions", self._create_checkout_session),
            ("GET", r"/v1/checkout/sessions/([^/]+)", self._get("checkout.session")),
            ("POST", r"/v1/billing_portal/sessions", self._create_portal_session),
            (
                "GET",
                r"/v1/billing_portal/configurations",
                self._list("billing_portal.configuration"),
            ),
            ("POST", r"/v1/billing_portal/configurations", self._create_portal_configuration),
        ]

    def _get(self, object_name: str) -> Any:
        def get(params: dict[str, Any], object_id: str) -> tuple[int, Any]:
            obj = self.objects.get(object_id)
            if obj is None or obj.get("object") != object_name:
                return _missing(object_id)
            return 200, obj

        return get

    def _update(self, object_name: str) -> Any:
        def update(params: dict[str, Any], object_id: str) -> tuple[int, Any]:
            obj = self.objects.get(object_id)
            if obj is None or obj.get("object") != object_name:
                return _missing(object_id)
            metadata = params.pop("metadata", None)
            if metadata:
                obj["metadata"] = {**obj.get("metadata", {}), **metadata}
            obj.update(params)
            return 200, obj

        return update

    def _list(self, object_name: str) -> Any:
        def list_(params: dict[str, Any]) -> tuple[int, Any]:
            found = self.of_type(object_name)
            if params.get("active") == "true":
                found = [obj for obj in found if obj.get("active")]
            return 200, listing(found, "/v1/" + object_name.replace(".", "/") + "s")

        return list_

    def _list_prices(self, params: dict[str, Any]) -> tuple[int, Any]:
        prices = self.of_type("price")
        if "lookup_keys" in params:
            prices = [p for p in prices if p.get("lookup_key") in params["lookup_keys"]]
        if params.get("active") == "true":
            prices = [p for p in prices if p.get("active")]
        return 200, listing(prices, "/v1/prices")

    def _features(self, params: dict[str, Any], product_id: str) -> tuple[int, Any]:
        if product_id not in self.objects:
            return _missing(product_id)
        return 200, listing([], f"/v1/products/{product_id}/features")

    def _create_customer(self, params: dict[str, Any]) -> tuple[int, Any]:
        customer = self.customer(email=params.get("email", ""), metadata=params.get("metadata"))
        customer["name"] = params.get("name") or None
        return 200, customer

    def _delete_customer(self, params: dict[str, Any], customer_id: str) -> tuple[int, Any]:
        """As Stripe does: the customer is gone and its subscriptions end at once."""
        customer = self.objects.get(customer_id)
        if customer is None or customer.get("object") != "customer":
            return _missing(customer_id)
        now = int(time.time())
        for subscription in self.of_type("subscription"):
            if subscription["customer"] == customer_id and subscription["status"] != "canceled":
                subscription.update(status="canceled", canceled_at=now, ended_at=now)
        del self.objects[customer_id]
        return 200, {"id": customer_id, "object": "customer", "deleted": True}

    def _create_product(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, self.product(
            name=params["name"],
            description=params.get("description"),
            metadata=params.get("metadata", {}),
            marketing_features=params.get("marketing_features", []),
        )

    def _create_price(self, params: dict[str, Any]) -> tuple[int, Any]:
        if params.get("product") not in self.objects:
            return _missing(str(params.get("product")))
        lookup_key = params.get("lookup_key")
        holder = next(
            (p for p in self.of_type("price") if lookup_key and p.get("lookup_key") == lookup_key),
            None,
        )
        if holder is not None:
            # As Stripe: a lookup key belongs to one price unless it is moved on purpose.
            if params.get("transfer_lookup_key") != "true":
                return 400, {
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"A price ({holder['id']}) already uses that lookup key.",
                        "param": "lookup_key",
                    }
                }
            holder["lookup_key"] = None
        price = self.price(
            product=params["product"],
            unit_amount=int(params["unit_amount"]),
            interval=params["recurring"]["interval"],
            lookup_key=params.get("lookup_key"),
            nickname=params.get("nickname"),
            currency=params.get("currency", "usd"),
            metadata=params.get("metadata", {}),
        )
        return 200, price

    def _update_price(self, params: dict[str, Any], price_id: str) -> tuple[int, Any]:
        """Stripe lets a price be archived or renamed, never repriced."""
        price = self.objects.get(price_id)
        if price is None or price.get("object") != "price":
            return _missing(price_id)
        if "active" in params:
            price["active"] = params["active"] == "true"
        for key in ("nickname", "lookup_key"):
            if key in params:
                price[key] = params[key] or None
        return 200, price

    def _create_checkout_session(self, params: dict[str, Any]) -> tuple[int, Any]:
        customer = params.get("customer")
        if customer and customer not in self.objects:
            return _missing(customer)
        for item in params.get("line_items", []):
            if item.get("price") not in self.objects:
                return _missing(str(item.get("price")))
        session_id = self.new_id("cs_test")
        return 200, self.put(
            {
                "id": session_id,
                "object": "checkout.session",
                "mode": params.get("mode"),
                "customer": customer,
                "client_reference_id": params.get("client_reference_id"),
                "subscription": None,
                "payment_intent": None,
                "setup_intent": None,
                "status": "open",
                "payment_status": "unpaid",
                "success_url": params.get("success_url"),
                "cancel_url": params.get("cancel_url"),
                "url": f"{self.url}/pay/{session_id}",
                "livemode": False,
                "created": int(time.time()),
                "metadata": params.get("metadata", {}),
            }
        )

    def _create_portal_session(self, params: dict[str, Any]) -> tuple[int, Any]:
        customer = params.get("customer", "")
        if customer not in self.objects:
            return _missing(customer)
        session_id = self.new_id("bps")
        return 200, self.put(
            {
                "id": session_id,
                "object": "billing_portal.session",
                "customer": customer,
                "configuration": params.get("configuration"),
                "return_url": params.get("return_url"),
                "url": f"{self.url}/portal/{session_id}",
                "livemode": False,
                "created": int(time.time()),
            }
        )

    def _create_portal_configuration(self, params: dict[str, Any]) -> tuple[int, Any]:
        return 200, self.put(
            {
                "id": self.new_id("bpc"),
                "object": "billing_portal.configuration",
                "active": True,
                "features": params.get("features", {}),
                "business_profile": params.get("business_profile", {}),
                "metadata": params.get("metadata", {}),
                "livemode": False,
                "created": int(time.time()),
            }
        )

    def complete_checkout(self, session_id: str, *, price: dict[str, Any]) -> dict[str, Any]:
        """What Stripe does when the learner pays: a subscription, a paid invoice, and the
        session marked complete. Returns the subscription."""
        session = self.objects[session_id]
        subscription = self.subscription(
            customer=session["customer"],
            price=price,
            metadata={"user_id": session["client_reference_id"] or ""},
        )
        invoice = self.invoice(customer=session["customer"], subscription=subscription["id"])
        subscription["latest_invoice"] = invoice["id"]
        session.update(status="complete", payment_status="paid", subscription=subscription["id"])
        return subscription


NOUNS = {"cus": "customer", "sub": "subscription", "price": "price", "prod": "product"}


def _missing(what: str) -> tuple[int, Any]:
    """Stripe's 404, worded as Stripe words it ("No such customer: 'cus_…'"; dj-stripe reads
    the wording)."""
    noun = NOUNS.get(what.split("_", 1)[0], "object")
    return 404, {
        "error": {
            "type": "invalid_request_error",
            "code": "resource_missing",
            "message": f"No such {noun}: '{what}'",
        }
    }


HOSTED_PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title></head><body><h1>{title}</h1><p>{id}</p></body></html>"""


def _handler_for(fake: FakeStripe) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def do_DELETE(self) -> None:
            self._answer("DELETE")

        def _answer(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            params = decode_params(parse_qsl(url.query) + parse_qsl(body))
            fake.requests.append(Recorded(method, url.path, params))
            hosted = re.fullmatch(r"/(pay|portal)/([^/]+)", url.path)
            if method == "GET" and hosted:
                title = "Fake Stripe Checkout" if hosted[1] == "pay" else "Fake customer portal"
                self._send(200, HOSTED_PAGE.format(title=title, id=hosted[2]), "text/html")
                return
            status, payload = fake.handle(method, url.path, params)
            self._send(status, json.dumps(payload), "application/json")

        def _send(self, status: int, text: str, content_type: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_fake{len(fake.requests)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    return Handler


def sign(payload: str, secret: str) -> str:
    """The Stripe-Signature header Stripe would send with `payload`."""
    return stripe.WebhookSignature.generate_signature_header(payload, secret)
