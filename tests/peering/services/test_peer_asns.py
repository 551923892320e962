"""Peer ASN services: associate (customer), approve/reject (operator), delete.

Every refusal is a ValidationError keyed by field (or a PermissionDenied) and writes nothing.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peering.enums import ContactRole, ValidationState
from peering.models import PeerAsn, PeerContact, Peering
from peering.services.peer_asns import (
    MAX_CONTACTS,
    OPERATION_DELETE,
    OPERATION_VALIDATE,
    OPERATION_WRITE,
    peer_asn_approve,
    peer_asn_create,
    peer_asn_delete,
    peer_asn_reject,
)
from portal.models import ActivityLog, ActivityStatus, Notification, Role
from tests import factories

NOC = {"role": ContactRole.NOC, "email": "noc@contoso.net", "phone": "+1 206 555 0100"}
TECH = {"role": ContactRole.TECHNICAL, "email": "tech@contoso.net", "phone": ""}


def valid_input(**overrides):
    data = {
        "name": "contoso-asn",
        "peer_asn": 13335,
        "peer_name": "Contoso Ltd.",
        "contacts": [dict(NOC), dict(TECH)],
    }
    data.update(overrides)
    return data


def row_counts():
    return {
        "peer_asns": PeerAsn.objects.count(),
        "contacts": PeerContact.objects.count(),
        "activity": ActivityLog.objects.count(),
        "notifications": Notification.objects.count(),
    }


def assert_refused(user, subscription, keys, **overrides):
    """Create with `overrides`: a ValidationError keyed exactly by `keys`, and nothing written."""
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        peer_asn_create(user=user, subscription=subscription, **valid_input(**overrides))
    assert set(info.value.message_dict) == set(keys), info.value.message_dict
    assert row_counts() == before
    return info.value.message_dict


# --- create: the happy path --------------------------------------------------------------------


@pytest.mark.django_db
def test_create_happy_path(owner, subscription):
    record = peer_asn_create(user=owner, subscription=subscription, **valid_input())

    record.refresh_from_db()
    assert record.subscription == subscription
    assert record.name == "contoso-asn"
    assert record.peer_asn == 13335
    assert record.peer_name == "Contoso Ltd."
    assert record.validation_state == ValidationState.PENDING
    assert record.error_message == ""
    assert record.created_by == owner
    assert record.decided_by is None
    contacts = list(record.contacts.values("role", "email", "phone"))
    assert contacts == [dict(NOC), dict(TECH)]

    log = ActivityLog.objects.get()
    assert log.subscription == subscription
    assert log.user == owner
    assert log.caller == "owner"
    assert log.operation == OPERATION_WRITE
    assert log.status == ActivityStatus.ACCEPTED
    assert log.resource_id == (
        f"/subscriptions/{subscription.pk}/providers/Microsoft.Peering/peerAsns/contoso-asn"
    )
    assert log.resource_id == record.resource_id
    assert "AS13335" in log.message


@pytest.mark.django_db
def test_create_by_contributor(subscription):
    contributor = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(
        user=contributor, subscription=subscription, role=Role.CONTRIBUTOR
    )
    record = peer_asn_create(user=contributor, subscription=subscription, **valid_input())
    assert record.validation_state == ValidationState.PENDING


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given_asn", "stored"),
    [("AS13335", 13335), (" 8075 ", 8075), ("as8075", 8075), (4199999999, 4199999999), (1, 1)],
)
def test_create_accepts_asn_forms(owner, subscription, given_asn, stored):
    record = peer_asn_create(
        user=owner, subscription=subscription, **valid_input(peer_asn=given_asn)
    )
    record.refresh_from_db()
    assert record.peer_asn == stored


@pytest.mark.django_db
def test_create_strips_surrounding_whitespace(owner, subscription):
    record = peer_asn_create(
        user=owner,
        subscription=subscription,
        **valid_input(
            name="  contoso-asn ",
            peer_name=" Contoso Ltd. ",
            contacts=[
                {"role": " Noc ", "email": " noc@contoso.net ", "phone": " +44 20 7946 0000 "}
            ],
        ),
    )
    assert record.name == "contoso-asn"
    assert record.peer_name == "Contoso Ltd."
    contact = record.contacts.get()
    assert (contact.role, contact.email, contact.phone) == (
        "Noc",
        "noc@contoso.net",
        "+44 20 7946 0000",
    )


@pytest.mark.django_db
def test_create_ignores_blank_contact_rows(owner, subscription):
    record = peer_asn_create(
        user=owner,
        subscription=subscription,
        **valid_input(
            contacts=[
                {"role": "", "email": "", "phone": ""},
                dict(NOC),
                {},
                {"role": None, "email": None, "phone": None},
                {"role": "  ", "email": " ", "phone": "\t"},
            ]
        ),
    )
    assert list(record.contacts.values_list("email", flat=True)) == ["noc@contoso.net"]


@pytest.mark.django_db
def test_create_allows_exactly_max_contacts(owner, subscription):
    contacts = [dict(NOC)] + [
        {"role": ContactRole.OTHER, "email": f"c{i}@contoso.net", "phone": ""}
        for i in range(MAX_CONTACTS - 1)
    ]
    record = peer_asn_create(
        user=owner, subscription=subscription, **valid_input(contacts=contacts)
    )
    assert record.contacts.count() == MAX_CONTACTS


@pytest.mark.django_db
def test_create_allows_personal_mailbox_for_non_noc_roles(owner, subscription):
    contacts = [dict(NOC), {"role": "Technical", "email": "jane@gmail.com", "phone": ""}]
    record = peer_asn_create(
        user=owner, subscription=subscription, **valid_input(contacts=contacts)
    )
    assert record.contacts.count() == 2


@pytest.mark.django_db
def test_same_asn_in_another_subscription_is_allowed(owner, subscription, other_subscription):
    factories.PeerAsnFactory(subscription=other_subscription, name="contoso-asn", peer_asn=13335)
    record = peer_asn_create(user=owner, subscription=subscription, **valid_input())
    assert record.subscription == subscription
    assert PeerAsn.objects.filter(peer_asn=13335).count() == 2


# --- create: refusals, each keyed and writing nothing ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["", "   ", "my asn", "a/b", "a" * 64, "café", "a\x00b", "a\nb", "x" * 10_000, "..\\x"],
    ids=repr,
)
def test_create_refuses_bad_name(owner, subscription, name):
    errors = assert_refused(owner, subscription, {"name"}, name=name)
    assert "1 to 63 characters" in errors["name"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("asn", "rfc"),
    [
        (0, "RFC 7607"),
        (23456, "RFC 6793"),
        (64500, "RFC 5398"),
        (64512, "RFC 6996"),
        ("AS65000", "RFC 6996"),
        (65535, "RFC 7300"),
        (65540, "RFC 5398"),
        (4200000000, "RFC 6996"),
        (4294967295, "RFC 7300"),
    ],
)
def test_create_refuses_non_public_asn(owner, subscription, asn, rfc):
    errors = assert_refused(owner, subscription, {"peer_asn"}, peer_asn=asn)
    assert rfc in errors["peer_asn"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "asn", [-1, 4294967296, "", "12a", "1e3", "٣", "9" * 10_000, None, True, 13335.0, [13335]]
)
def test_create_refuses_malformed_asn(owner, subscription, asn):
    assert_refused(owner, subscription, {"peer_asn"}, peer_asn=asn)


@pytest.mark.django_db
@pytest.mark.parametrize("existing", ["contoso-asn", "CONTOSO-ASN", "Contoso-Asn"])
def test_create_refuses_duplicate_name_ignoring_case(owner, subscription, existing):
    factories.PeerAsnFactory(subscription=subscription, name=existing, peer_asn=8075)
    errors = assert_refused(owner, subscription, {"name"})
    assert "already exists" in errors["name"][0]


@pytest.mark.django_db
def test_create_refuses_same_asn_twice_in_one_subscription(owner, subscription):
    factories.PeerAsnFactory(subscription=subscription, name="first-one", peer_asn=13335)
    errors = assert_refused(owner, subscription, {"peer_asn"}, peer_asn="AS13335")
    assert "AS13335" in errors["peer_asn"][0]
    assert "first-one" in errors["peer_asn"][0]


@pytest.mark.django_db
def test_create_reports_every_field_at_once(owner, subscription):
    assert_refused(
        owner,
        subscription,
        {"name", "peer_asn", "peer_name", "contacts"},
        name="bad name",
        peer_asn=64512,
        peer_name="",
        contacts=[],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "contacts",
    [[], [{}], [{"role": "", "email": "", "phone": ""}], ()],
    ids=["empty", "one-empty-dict", "one-blank-row", "tuple"],
)
def test_create_refuses_no_contacts(owner, subscription, contacts):
    errors = assert_refused(owner, subscription, {"contacts"}, contacts=contacts)
    assert "at least one contact" in errors["contacts"][0]


@pytest.mark.django_db
def test_create_refuses_without_noc_contact(owner, subscription):
    errors = assert_refused(owner, subscription, {"contacts"}, contacts=[dict(TECH)])
    assert "NOC" in errors["contacts"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("domain", ["gmail.com", "GMAIL.COM", "hotmail.com", "outlook.com"])
def test_create_refuses_noc_at_personal_mailbox(owner, subscription, domain):
    contacts = [{"role": "Noc", "email": f"noc@{domain}", "phone": ""}]
    errors = assert_refused(owner, subscription, {"contacts.0.email"}, contacts=contacts)
    assert domain.lower() in errors["contacts.0.email"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email",
    [
        "not-an-email",
        "noc@",
        "@contoso.net",
        "noc@contoso",
        "noc@@contoso.net",
        "noc contoso@contoso.net",
        "noc@contoso.net\x00",
        "noc\x00@contoso.net",
        "noc@contoso..net",
        "a" * 10_000 + "@contoso.net",
        "noc@" + "a" * 10_000 + ".net",
    ],
    ids=lambda v: repr(v)[:40],
)
def test_create_refuses_bad_email(owner, subscription, email):
    contacts = [dict(NOC), {"role": "Technical", "email": email, "phone": ""}]
    assert_refused(owner, subscription, {"contacts.1.email"}, contacts=contacts)


@pytest.mark.django_db
def test_create_refuses_contact_without_email(owner, subscription):
    contacts = [dict(NOC), {"role": "Technical", "email": "", "phone": "+1 206 555 0100"}]
    assert_refused(owner, subscription, {"contacts.1.email"}, contacts=contacts)


@pytest.mark.django_db
def test_create_bad_noc_email_is_keyed_to_its_row(owner, subscription):
    contacts = [dict(TECH), {"role": "Noc", "email": "nope", "phone": ""}]
    assert_refused(owner, subscription, {"contacts.1.email"}, contacts=contacts)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "phone",
    ["abc", "12", "+", "++1 206 555 0100", "1206555010x", "+1 206 555 0100\x00", "1" * 10_000],
    ids=lambda v: repr(v)[:40],
)
def test_create_refuses_bad_phone(owner, subscription, phone):
    contacts = [{"role": "Noc", "email": "noc@contoso.net", "phone": phone}]
    assert_refused(owner, subscription, {"contacts.0.phone"}, contacts=contacts)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["noc", "NOC", "Admin", "x" * 10_000, "Noc\x00"])
def test_create_refuses_bad_role(owner, subscription, role):
    contacts = [dict(NOC), {"role": role, "email": "other@contoso.net", "phone": ""}]
    assert_refused(owner, subscription, {"contacts.1.role"}, contacts=contacts)


@pytest.mark.django_db
def test_create_refuses_more_than_max_contacts(owner, subscription):
    contacts = [dict(NOC)] + [
        {"role": "Other", "email": f"c{i}@contoso.net", "phone": ""} for i in range(MAX_CONTACTS)
    ]
    errors = assert_refused(owner, subscription, {"contacts"}, contacts=contacts)
    assert str(MAX_CONTACTS) in errors["contacts"][0]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "peer_name",
    [
        "",
        "   ",
        "Contoso\x00",
        "Con\x00toso",
        "Contoso\x1b[31m",
        "Con\ttoso",
        "Contoso\x7f",
        "Contoso\nLtd",
        "-Contoso",
        "Contoso <script>",
        "x" * 101,
        "x" * 10_000,
    ],
    ids=lambda v: repr(v)[:40],
)
def test_create_refuses_bad_peer_name(owner, subscription, peer_name):
    assert_refused(owner, subscription, {"peer_name"}, peer_name=peer_name)


@pytest.mark.django_db
def test_create_accepts_longest_peer_name(owner, subscription):
    record = peer_asn_create(
        user=owner, subscription=subscription, **valid_input(peer_name="x" * 100)
    )
    assert len(record.peer_name) == 100


@pytest.mark.django_db
def test_create_refuses_email_longer_than_the_column(owner, subscription):
    email = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".net"  # 313 characters, RFC-valid
    assert 254 < len(email) <= 320
    contacts = [dict(NOC), {"role": "Technical", "email": email, "phone": ""}]
    assert_refused(owner, subscription, {"contacts.1.email"}, contacts=contacts)


# --- create: who may ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reader", "outsider", "operator", "anonymous"])
def test_create_refused_without_write_role(request, subscription, who):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        peer_asn_create(user=user, subscription=subscription, **valid_input())
    assert row_counts() == before


@pytest.mark.django_db
def test_permission_is_checked_before_validation(reader, subscription):
    # A Reader learns nothing about the data (e.g. which names exist) from field errors.
    with pytest.raises(PermissionDenied):
        peer_asn_create(user=reader, subscription=subscription, **valid_input(name="bad name"))


# --- create: fuzzing ---------------------------------------------------------------------------

_text = st.text(max_size=300)
_emails = st.emails().filter(lambda e: len(e) <= 254)  # over 254: the known bug above


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.one_of(_text, st.from_regex(r"[A-Za-z0-9_.\-]{1,63}", fullmatch=True)),
    peer_name=st.one_of(_text, st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 .&-]{0,99}", fullmatch=True)),
    email=st.one_of(_text, _emails),
    phone=st.one_of(_text, st.from_regex(r"\+?[0-9][0-9 ]{4,30}", fullmatch=True)),
)
@example(name="a\x00", peer_name="C", email="noc@contoso.net", phone="")
@example(name="ok", peer_name="C\x00", email="noc@contoso.net", phone="")
@example(name="ok", peer_name="C", email="noc@contoso.net\x00", phone="")
@example(name="ok", peer_name="C", email="noc@contoso.net", phone="1\x00234567")
@example(name="ok", peer_name="C", email='"\x01"@contoso.net', phone="")
def test_create_fuzz_only_succeeds_or_refuses(owner, subscription, name, peer_name, email, phone):
    with transaction.atomic():
        before = row_counts()
        try:
            record = peer_asn_create(
                user=owner,
                subscription=subscription,
                name=name,
                peer_asn=13335,
                peer_name=peer_name,
                contacts=[{"role": "Noc", "email": email, "phone": phone}],
            )
        except ValidationError as exc:
            assert exc.message_dict
            assert row_counts() == before
        else:
            after = row_counts()
            assert after["peer_asns"] == before["peer_asns"] + 1
            assert after["contacts"] == before["contacts"] + 1
            assert after["activity"] == before["activity"] + 1
            record.refresh_from_db()
            record.full_clean(validate_constraints=False)
        transaction.set_rollback(True)  # each example starts from the same empty subscription


# --- approve / reject ---------------------------------------------------------------------------


@pytest.fixture
def contributor(subscription):
    user = factories.UserFactory(username="contributor")
    factories.RoleAssignmentFactory(user=user, subscription=subscription, role=Role.CONTRIBUTOR)
    return user


@pytest.fixture
def pending(subscription):
    peer_asn = factories.PeerAsnFactory(
        subscription=subscription, name="contoso-asn", peer_asn=13335, peer_name="Contoso"
    )
    factories.PeerContactFactory(peer_asn=peer_asn, role="Noc", email="noc@contoso.net")
    factories.PeerContactFactory(peer_asn=peer_asn, role="Technical", email="tech@contoso.net")
    factories.PeerContactFactory(peer_asn=peer_asn, role="Policy", email="noc@contoso.net")
    return peer_asn


@pytest.fixture
def tenants(subscription, owner, reader, contributor, outsider):
    """Everyone with a role on `subscription` (and one inactive), plus another tenant's owner."""
    inactive = factories.UserFactory(username="inactive", is_active=False)
    factories.RoleAssignmentFactory(user=inactive, subscription=subscription, role=Role.OWNER)
    return {"members": [owner, reader, contributor], "inactive": inactive, "outsider": outsider}


def decide(action, peer_asn, operator, reason="Not in PeeringDB"):
    if action == "approve":
        return peer_asn_approve(peer_asn=peer_asn, operator=operator)
    return peer_asn_reject(peer_asn=peer_asn, operator=operator, reason=reason)


@pytest.mark.django_db
def test_approve(pending, operator, tenants, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = peer_asn_approve(peer_asn=pending, operator=operator)
        assert mailoutbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1

    pending.refresh_from_db()
    assert result.pk == pending.pk
    assert pending.validation_state == ValidationState.APPROVED
    assert pending.error_message == ""
    assert pending.decided_by == operator
    assert pending.decided_at is not None

    log = ActivityLog.objects.get(operation=OPERATION_VALIDATE)
    assert log.subscription == pending.subscription
    assert log.user == operator
    assert log.status == ActivityStatus.SUCCEEDED
    assert log.resource_id == pending.resource_id

    for member in tenants["members"]:
        notes = Notification.objects.filter(user=member)
        assert notes.count() == 1
        note = notes.get()
        assert note.subscription == pending.subscription
        assert note.level == Notification.Level.SUCCESS
        assert "contoso-asn" in note.title
        assert note.link
    assert not Notification.objects.filter(user=tenants["inactive"]).exists()
    assert not Notification.objects.filter(user=tenants["outsider"]).exists()
    assert not Notification.objects.filter(user=operator).exists()
    assert Notification.objects.count() == 3

    message = mailoutbox[0]
    assert sorted(message.to) == ["noc@contoso.net", "tech@contoso.net"]  # each address once
    assert "AS13335" in message.subject
    assert "contoso-asn" in message.subject
    assert "\n" not in message.subject
    assert pending.resource_id in message.body


@pytest.mark.django_db
def test_reject(pending, operator, tenants, mailoutbox, django_capture_on_commit_callbacks):
    reason = "AS13335 is registered to another organisation in PeeringDB."
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        peer_asn_reject(peer_asn=pending, operator=operator, reason=f"  {reason}\n")
        assert mailoutbox == []
    assert len(callbacks) == 1
    assert len(mailoutbox) == 1

    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.FAILED
    assert pending.error_message == reason
    assert pending.decided_by == operator

    log = ActivityLog.objects.get(operation=OPERATION_VALIDATE)
    assert log.status == ActivityStatus.FAILED
    assert reason in log.message
    assert log.resource_id == pending.resource_id

    assert Notification.objects.count() == len(tenants["members"])
    for member in tenants["members"]:
        note = Notification.objects.get(user=member)
        assert note.level == Notification.Level.ERROR
        assert reason in note.body
    assert not Notification.objects.filter(user=tenants["outsider"]).exists()
    assert reason in mailoutbox[0].body
    assert sorted(mailoutbox[0].to) == ["noc@contoso.net", "tech@contoso.net"]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_no_email_when_the_transaction_rolls_back(
    action, pending, operator, mailoutbox, django_capture_on_commit_callbacks
):
    class Abort(Exception):
        pass

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(Abort),
        transaction.atomic(),
    ):
        decide(action, pending, operator)
        raise Abort
    assert callbacks == []
    assert mailoutbox == []
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


@pytest.mark.django_db
def test_no_email_without_contacts(
    subscription, operator, mailoutbox, django_capture_on_commit_callbacks
):
    peer_asn = factories.PeerAsnFactory(subscription=subscription)
    with django_capture_on_commit_callbacks(execute=True):
        peer_asn_approve(peer_asn=peer_asn, operator=operator)
    assert mailoutbox == []
    peer_asn.refresh_from_db()
    assert peer_asn.validation_state == ValidationState.APPROVED


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "\n\t", None])
def test_reject_requires_a_reason(
    pending, operator, mailoutbox, reason, django_capture_on_commit_callbacks
):
    before = row_counts()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as info,
    ):
        peer_asn_reject(peer_asn=pending, operator=operator, reason=reason)
    assert set(info.value.message_dict) == {"reason"}
    assert row_counts() == before
    assert mailoutbox == []
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING
    assert pending.decided_by is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "reason", ["x" * 1001, "bad\x00reason", "bell\x07"], ids=["long", "nul", "bell"]
)
def test_reject_refuses_bad_reason(pending, operator, reason):
    before = row_counts()
    with pytest.raises(ValidationError):
        peer_asn_reject(peer_asn=pending, operator=operator, reason=reason)
    assert row_counts() == before
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING


@pytest.mark.django_db
def test_reject_control_characters_error_is_keyed_to_reason(pending, operator):
    with pytest.raises(ValidationError) as info:
        peer_asn_reject(peer_asn=pending, operator=operator, reason="bad\x00reason")
    assert set(info.value.message_dict) == {"reason"}


@pytest.mark.django_db
def test_reject_keeps_line_breaks_in_reason(pending, operator):
    peer_asn_reject(peer_asn=pending, operator=operator, reason="Line one.\r\nLine two.\tEnd")
    pending.refresh_from_db()
    assert pending.error_message == "Line one.\r\nLine two.\tEnd"


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
def test_deciding_twice_is_refused(
    action, pending, operator, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(action, pending, operator)
    assert len(mailoutbox) == 1
    pending.refresh_from_db()  # the operator reloads the page and tries again
    before = row_counts()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as info,
    ):
        decide(action, pending, operator)
    assert "already" in info.value.messages[0]
    assert callbacks == []
    assert len(mailoutbox) == 1
    assert row_counts() == before


@pytest.mark.django_db
def test_approve_with_a_stale_object_reads_the_current_state(
    pending, operator, mailoutbox, django_capture_on_commit_callbacks
):
    stale = PeerAsn.objects.get(pk=pending.pk)
    with django_capture_on_commit_callbacks(execute=True):
        peer_asn_approve(peer_asn=pending, operator=operator)
    with pytest.raises(ValidationError):
        peer_asn_approve(peer_asn=stale, operator=operator)  # still says Pending in memory
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_deciding_from_a_stale_view_is_refused(
    pending, operator, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = factories.UserFactory(username="colleague", is_staff=True)
    stale = PeerAsn.objects.get(pk=pending.pk)  # the second operator's page: Pending
    with django_capture_on_commit_callbacks(execute=True):
        peer_asn_approve(peer_asn=pending, operator=operator)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        peer_asn_reject(peer_asn=stale, operator=colleague, reason="Not in PeeringDB")
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.APPROVED
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_failed_asn_can_be_approved_after_review(pending, operator):
    peer_asn_reject(peer_asn=pending, operator=operator, reason="Missing LOA")
    pending.refresh_from_db()
    peer_asn_approve(peer_asn=pending, operator=operator)
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.APPROVED
    assert pending.error_message == ""


@pytest.mark.django_db
def test_unused_approved_asn_can_be_rejected(pending, operator):
    peer_asn_approve(peer_asn=pending, operator=operator)
    pending.refresh_from_db()
    peer_asn_reject(peer_asn=pending, operator=operator, reason="Revoked")
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.FAILED


@pytest.mark.django_db
def test_rejecting_an_approved_asn_used_by_a_peering_is_refused(subscription, operator, mailoutbox):
    peering = factories.PeeringFactory(subscription=subscription)
    peer_asn = peering.peer_asn
    assert peer_asn.validation_state == ValidationState.APPROVED
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        peer_asn_reject(peer_asn=peer_asn, operator=operator, reason="Revoked")
    assert "used by peerings" in info.value.messages[0]
    assert row_counts() == before
    peer_asn.refresh_from_db()
    assert peer_asn.validation_state == ValidationState.APPROVED
    assert peer_asn.error_message == ""


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("who", ["owner", "reader", "inactive_staff", "anonymous", "none"])
def test_only_active_staff_decide(request, action, who, pending, mailoutbox):
    if who == "anonymous":
        user = AnonymousUser()
    elif who == "none":
        user = None
    elif who == "inactive_staff":
        user = factories.UserFactory(username="retired", is_staff=True, is_active=False)
    else:
        user = request.getfixturevalue(who)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        decide(action, pending, user)
    assert row_counts() == before
    pending.refresh_from_db()
    assert pending.validation_state == ValidationState.PENDING
    assert mailoutbox == []


@pytest.mark.django_db
def test_staff_without_superuser_may_decide(pending):
    staff = factories.UserFactory(username="noc-staff", is_staff=True)
    peer_asn_approve(peer_asn=pending, operator=staff)
    pending.refresh_from_db()
    assert pending.decided_by == staff


# --- delete ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_delete(owner, pending):
    resource_id = pending.resource_id
    peer_asn_delete(user=owner, peer_asn=pending)
    assert not PeerAsn.objects.filter(pk=pending.pk).exists()
    assert not PeerContact.objects.filter(peer_asn_id=pending.pk).exists()
    log = ActivityLog.objects.get()
    assert log.operation == OPERATION_DELETE
    assert log.resource_id == resource_id
    assert log.user == owner
    assert log.subscription == pending.subscription
    assert log.status == ActivityStatus.SUCCEEDED


@pytest.mark.django_db
def test_delete_refused_while_a_peering_uses_it(owner, subscription):
    peering = factories.PeeringFactory(subscription=subscription, name="seattle-edge")
    factories.PeeringFactory(
        subscription=subscription,
        resource_group=peering.resource_group,
        name="amsterdam-edge",
        peer_asn=peering.peer_asn,
    )
    before = row_counts()
    with pytest.raises(ValidationError) as info:
        peer_asn_delete(user=owner, peer_asn=peering.peer_asn)
    message = info.value.messages[0]
    assert "seattle-edge" in message
    assert "amsterdam-edge" in message
    assert peering.peer_asn.name in message
    assert row_counts() == before
    assert Peering.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["reader", "outsider", "operator", "anonymous"])
def test_delete_refused_without_write_role(request, pending, who):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        peer_asn_delete(user=user, peer_asn=pending)
    assert row_counts() == before
