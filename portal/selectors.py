"""Reads scoped to the caller's roles. Every portal query starts here.

An object in a subscription where the user holds no role does not exist for them (Http404);
a Reader asking to write is refused (PermissionDenied → 403).
"""

from collections.abc import Callable
from contextvars import ContextVar, Token
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from portal import sql
from portal.models import (
    WRITE_ROLES,
    ActivityLog,
    ApiToken,
    Notification,
    ResourceGroup,
    RoleAssignment,
    Subscription,
)

# `ensure_can_write` is defined in portal.permissions; the services still import it from here.
from portal.permissions import (  # noqa: F401
    READER_REFUSAL,
    User,
    ensure_can_write,
    refuse_reader,
)


def _parse_uuid(value: object) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise Http404("No such subscription.") from None


def count_of(queryset: QuerySet, group_by: str, *, distinct: str = "") -> Coalesce:
    """A correlated COUNT subquery for `.annotate()`: the rows of `queryset`, filtered on its
    column `group_by` by an `OuterRef`, for each outer row (0 when none). Unlike `Count` across
    a join it groups nothing in the outer query: the database counts, through the column's
    index, only the rows it returns — one page."""
    counted = Count(distinct, distinct=True) if distinct else Count("*")
    inner = queryset.order_by().values(group_by).annotate(_count=counted).values("_count")
    return Coalesce(Subquery(inner, output_field=IntegerField()), 0)


# --- The caller's roles, read once per request ----------------------------------------------
#
# Every page needs the user's role assignments several times: the shell's subscription switcher,
# the subscription ids every list filters by, "may this user create anything", the role on the
# subscription in the URL. `RequestCacheMiddleware` opens a cache for each request; within it the
# assignments (with their subscriptions) are read by one query and answered from memory after.
# Outside a request (services called by tasks, tests, the shell) every call reads the database.

_REQUEST_CACHE: ContextVar[dict | None] = ContextVar("portal_request_cache", default=None)


def request_cache_open() -> Token:
    """Start a request's cache (`RequestCacheMiddleware`); `request_cache_close` ends it."""
    return _REQUEST_CACHE.set({})


def request_cache_close(token: Token) -> None:
    _REQUEST_CACHE.reset(token)


def request_cache_forget(kind: str) -> None:
    """Drop what the request's cache holds of one kind ("unread": the bell's counts), after a
    write that changes it."""
    cache = _REQUEST_CACHE.get()
    if cache:
        for key in [key for key in cache if key[0] == kind]:
            del cache[key]


def _unread_count_query(user: User) -> QuerySet:
    return Notification.objects.filter(user=user, read_at__isnull=True)


def _read_role_assignments(user: User) -> list[RoleAssignment]:
    """The assignments with their subscriptions, and in the same query the bell's unread count
    (an uncorrelated subquery: the database counts once, whatever the number of rows). Every
    page asks this first, so it is one SQL statement (`portal.sql`): as a queryset with
    select_related and the annotated subquery it cost more to compile than the rest of the
    shell."""
    assignments = []
    for row in _ROLE_ASSIGNMENTS.rows(_ROLE_ASSIGNMENTS_WHERE, [user.pk, user.pk]):
        assignment = _ROLE_ASSIGNMENTS.read(row)
        assignment.subscription.user_role = assignment.role
        assignment._unread = row[_ROLE_ASSIGNMENTS.size]
        assignments.append(assignment)
    return assignments


_ROLE_ASSIGNMENTS = sql.Joined(
    RoleAssignment,
    "ra",
    ["subscription"],
    extra=[
        "(SELECT COUNT(*) FROM portal_notification n WHERE n.user_id = %s AND n.read_at IS NULL)"
    ],
)
_ROLE_ASSIGNMENTS_WHERE = (
    "WHERE ra.user_id = %s ORDER BY ra_subscription.display_name, ra.subscription_id"
)


def _role_assignments(user: User) -> list[RoleAssignment] | None:
    """The user's assignments (subscriptions by display name, each with `user_role`) from the
    request's cache, read on first use; None outside a request."""
    cache = _REQUEST_CACHE.get()
    if cache is None or not user.is_authenticated:
        return None
    key = ("role_assignments", user.pk)
    if key not in cache:
        cache[key] = _read_role_assignments(user)
        if cache[key]:
            cache[("unread", user.pk)] = cache[key][0]._unread
    return cache[key]


def _prefilled(queryset: QuerySet, rows: list) -> QuerySet:
    """`queryset` with its result already known (`rows`, exactly what it would return):
    iterating it or asking `.exists()` costs no query; anything chained on it (`.filter`,
    `.order_by`, a subquery) is a new query and reads the database as usual."""
    queryset._result_cache = list(rows)
    queryset._prefetch_done = True
    return queryset


def subscriptions_for_user(*, user: User) -> QuerySet[Subscription]:
    """Subscriptions where the user holds any role, by display name and id."""
    if not user.is_authenticated:
        return Subscription.objects.none()
    qs = Subscription.objects.filter(role_assignments__user=user).order_by("display_name", "pk")
    cached = _subscriptions_cached(user)
    return qs if cached is None else _prefilled(qs, cached)


def subscription_list_for_user(*, user: User) -> list[Subscription]:
    """`subscriptions_for_user`'s rows as a list; in a request, from its cache without building
    the queryset (the shell's switcher on every page: the queryset cost more than the rest of
    the shell)."""
    cached = _subscriptions_cached(user)
    return list(subscriptions_for_user(user=user)) if cached is None else cached


def _subscriptions_cached(user: User) -> list[Subscription] | None:
    """`subscriptions_for_user`'s rows from the request's cache (None outside a request)."""
    assignments = _role_assignments(user)
    return None if assignments is None else [a.subscription for a in assignments]


def subscription_ids_for_user(*, user: User) -> list[UUID]:
    """The ids of `subscriptions_for_user`, read now: filtering a big table by these values
    (rather than by a subquery) lets the database estimate how many rows match, and walk an
    index in the page's order when most rows do."""
    if not user.is_authenticated:
        return []
    assignments = _role_assignments(user)
    if assignments is not None:
        return [a.subscription_id for a in assignments]
    return list(RoleAssignment.objects.filter(user=user).values_list("subscription_id", flat=True))


def in_subscriptions_of[M: Model](
    model: type[M], *, user: User, subscription: Subscription | None = None
) -> QuerySet[M]:
    """Rows of `model` (anything with a `subscription`) in the user's subscriptions, or in
    `subscription` alone, and then only if it is one of theirs: the tenancy boundary of every
    list."""
    qs = model._default_manager.filter(subscription__in=subscription_ids_for_user(user=user))
    if subscription is not None:
        qs = qs.filter(subscription=subscription)
    return qs


def writable_subscriptions_for_user(*, user: User) -> QuerySet[Subscription]:
    """Subscriptions where the user may create and change resources (Owner, Contributor), by
    display name and id."""
    if not user.is_authenticated:
        return Subscription.objects.none()
    qs = Subscription.objects.filter(
        role_assignments__user=user, role_assignments__role__in=WRITE_ROLES
    ).order_by("display_name", "pk")
    cached = _writable_cached(user)
    return qs if cached is None else _prefilled(qs, cached)


def _writable_cached(user: User) -> list[Subscription] | None:
    """`writable_subscriptions_for_user`'s rows from the request's cache (None outside a
    request)."""
    assignments = _role_assignments(user)
    if assignments is None:
        return None
    return [a.subscription for a in assignments if a.role in WRITE_ROLES]


def role_of(*, user: User, subscription_id: UUID) -> str | None:
    """The user's role on a subscription (None without one), from the request's cache when
    there is one."""
    if not user.is_authenticated:
        return None
    assignment = _assignment_on(user, subscription_id)
    return assignment.role if assignment is not None else None


def _assignment_on(user: User, subscription_id: UUID) -> RoleAssignment | None:
    """The user's assignment on one subscription (with it), from the request's cache when
    there is one."""
    cached = _role_assignments(user)
    if cached is not None:
        return next((a for a in cached if a.subscription_id == subscription_id), None)
    return (
        RoleAssignment.objects.select_related("subscription")
        .filter(user=user, subscription_id=subscription_id)
        .first()
    )


def creatable_subscriptions_for_user(*, user: User, refusal: str) -> list[Subscription]:
    """The subscriptions the user may create resources in, by name; none at all refuses (403)
    with `refusal` (the create page's words for what needs a writing role)."""
    # From the request's cache without building the queryset (it cost more than the page's
    # reads of the wizard's tabs).
    subscriptions = _writable_cached(user)
    if subscriptions is None:
        subscriptions = list(writable_subscriptions_for_user(user=user))
    if not subscriptions:
        raise PermissionDenied(refusal)
    return subscriptions


def refuse_read_only_subscription(*, user: User, subscription_id: object) -> None:
    """A create form naming a subscription the user can read but not write to is a 403; one
    they cannot see at all is left to the form's field error, so its existence is never
    revealed."""
    try:
        readable = subscriptions_for_user(user=user).filter(pk=subscription_id).exists()
    except ValidationError:  # not a UUID
        readable = False
    if readable:
        raise PermissionDenied(READER_REFUSAL)


def role_assignments_for_user(*, user: User) -> QuerySet[RoleAssignment]:
    """The user's assignments with their subscriptions, by subscription name and id (in a
    request, answered from its cache: no query)."""
    if not user.is_authenticated:
        return RoleAssignment.objects.none()
    qs = (
        RoleAssignment.objects.filter(user=user)
        .select_related("subscription")
        .order_by("subscription__display_name", "subscription_id")
    )
    assignments = _role_assignments(user)
    return qs if assignments is None else _prefilled(qs, assignments)


def subscription_for_user(
    *, user: User, subscription_id: object, write: bool = False
) -> Subscription:
    """The subscription if the user holds a role on it (404 otherwise); with write=True the role
    must allow writing (403 otherwise)."""
    sub_id = _parse_uuid(subscription_id)
    if not user.is_authenticated:
        raise Http404("No such subscription.")
    assignment = _assignment_on(user, sub_id)
    if assignment is None:
        raise Http404("No such subscription.")
    if write:
        refuse_reader(assignment.role)
    subscription = assignment.subscription
    subscription.user_role = assignment.role
    return subscription


def resource_for_user[M: Model](
    queryset: QuerySet[M],
    *,
    user: User,
    subscription_id: object,
    write: bool = False,
    not_found: str,
    **lookups: object,
) -> M:
    """The one way a resource is read by its ARM path (/subscriptions/<id>/…/<name>): the
    subscription gate first (no role → 404, Reader with write=True → 403), then the object in
    that subscription matching `lookups` (404 with `not_found` when none). The object carries
    the gated subscription, whose `user_role` the templates read."""
    subscription = subscription_for_user(user=user, subscription_id=subscription_id, write=write)
    obj = queryset.filter(subscription=subscription, **lookups).first()
    if obj is None:
        raise Http404(not_found)
    obj.subscription = subscription
    return obj


def child_of[M: Model](
    queryset: QuerySet[M], *, parent_field: str, parent: Model, not_found: str, **lookups: object
) -> M:
    """A child resource (a registered ASN of a peering, a prefix of a Peering Service …) of a
    parent already read through `resource_for_user`: 404 with `not_found` when absent. The
    child carries the tenancy-checked parent."""
    obj = queryset.filter(**{parent_field: parent}, **lookups).first()
    if obj is None:
        raise Http404(not_found)
    setattr(obj, parent_field, parent)
    return obj


def resource_at_path[M: Model](
    selector: Callable[..., M],
    request: HttpRequest,
    subscription_id: object,
    resource_group: str,
    name: str,
    *,
    write: bool = False,
) -> M:
    """The resource a URL or API path names (/subscriptions/<id>/resourceGroups/<rg>/…/<name>),
    read for the request's user through its selector (`peering_for_user`,
    `peering_service_for_user` …): the one call views and API handlers make for it."""
    return selector(
        user=request.user,
        subscription_id=subscription_id,
        resource_group=resource_group,
        name=name,
        write=write,
    )


def resource_groups_for_user(
    *, user: User, subscription: Subscription | None = None
) -> QuerySet[ResourceGroup]:
    qs = in_subscriptions_of(ResourceGroup, user=user, subscription=subscription).select_related(
        "subscription", "region"
    )
    from peering.models import Peering

    return qs.annotate(
        peering_count=count_of(
            Peering.objects.filter(resource_group=OuterRef("pk")), "resource_group"
        )
    ).order_by("subscription__display_name", "name")


def subscriptions_condition(
    alias: str, model: type[Model], *, user: User, subscription: Subscription | None = None
) -> tuple[str, list]:
    """The tenancy condition of a list written in SQL (`portal.sql`): `<alias>.subscription_id`
    in the user's subscriptions (only `subscription` if given; none: no rows), and its
    parameters."""
    ids = subscription_ids_for_user(user=user)
    if subscription is not None:
        ids = [pk for pk in ids if pk == subscription.pk]
    field = model._meta.get_field("subscription")
    params = [sql.db_value(field, pk) for pk in ids] or [None]  # IN (NULL) matches nothing
    return f"{alias}.subscription_id IN ({', '.join(['%s'] * len(params))})", params


def resource_group_list_rows(
    *, user: User, subscription: Subscription | None = None, query: str = "", order_by: str
) -> sql.Rows:
    """The Resource groups list for `paginate`: the groups of `resource_groups_for_user` (the
    user's subscriptions, one if given) whose name contains `query`, each with its
    subscription, region and `peering_count`, in `order_by` (SQL over `g` the group,
    `g_subscription` and `g_region`). One SQL statement for the count and one for the page
    (`portal.sql`): the queryset's build and compile were most of the page."""
    tenancy, params = subscriptions_condition(
        "g", ResourceGroup, user=user, subscription=subscription
    )
    conditions = [tenancy]
    if query:
        condition, pattern = sql.icontains("g.name", query)
        conditions.append(condition)
        params.append(pattern)

    def read(row):
        group = _RESOURCE_GROUP_ROW.read(row)
        group.peering_count = row[_RESOURCE_GROUP_ROW.size]
        return group

    return sql.Rows(
        _RESOURCE_GROUP_ROW, "WHERE " + " AND ".join(conditions), params, order_by, read
    )


_RESOURCE_GROUP_ROW = sql.Joined(
    ResourceGroup,
    "g",
    ["subscription", "region"],
    extra=["(SELECT COUNT(*) FROM peering_peering p WHERE p.resource_group_id = g.id)"],
)


def resource_group_names_for_user(
    *, user: User, subscription: Subscription | None = None
) -> list[str]:
    """The distinct names of the user's resource groups (one subscription's if given), sorted
    case-insensitively: the choices of a "Resource group" filter."""
    tenancy, params = subscriptions_condition(
        "g", ResourceGroup, user=user, subscription=subscription
    )
    rows = sql.fetch(_RESOURCE_GROUP_NAMES_SQL.format(tenancy=tenancy), params, [None])
    return sorted({name for (name,) in rows}, key=str.lower)


_RESOURCE_GROUP_NAMES_SQL = """
    SELECT DISTINCT g.name FROM portal_resourcegroup g WHERE {tenancy}
"""


def resource_group_for_user(
    *, user: User, subscription_id: object, name: str, write: bool = False
) -> ResourceGroup:
    return resource_for_user(
        ResourceGroup.objects.select_related("region"),
        user=user,
        subscription_id=subscription_id,
        write=write,
        not_found="No such resource group.",
        name__iexact=name,
    )


def activity_for_user(
    *,
    user: User,
    subscription: Subscription | None = None,
    status: str = "",
    operation: str = "",
    resource: str = "",
    since=None,
) -> sql.Rows:
    """The Activity log entries of the user's subscriptions (one's if given), newest first,
    matching the filters: rows for `paginate` (COUNT, then the page's window), each entry with
    its subscription from the request's roles. One SQL statement each (`portal.sql`): the
    querysets cost more to build and compile than the database takes to answer."""
    subscriptions = {s.pk: s for s in subscriptions_for_user(user=user)}
    tenancy, params = subscriptions_condition(
        "l", ActivityLog, user=user, subscription=subscription
    )
    conditions = [tenancy]
    if status:
        conditions.append("l.status = %s")
        params.append(status)
    for column, text in (("l.operation_display", operation), ("l.resource_id", resource)):
        if text:
            condition, pattern = sql.icontains(column, text)
            conditions.append(condition)
            params.append(pattern)
    if since is not None:
        conditions.append("l.timestamp >= %s")
        params.append(sql.db_value(ActivityLog._meta.get_field("timestamp"), since))

    def read(row):
        entry = _ACTIVITY.read(row)
        entry.subscription = subscriptions[entry.subscription_id]
        return entry

    return sql.Rows(
        _ACTIVITY,
        "WHERE " + " AND ".join(conditions),
        params,
        "l.timestamp DESC, l.id DESC",
        read,
    )


_ACTIVITY = sql.Joined(ActivityLog, "l")


def notifications_for_user(*, user: User) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(user=user)


def unread_notification_count(*, user: User) -> int:
    """The bell's count. In a request it comes with the role assignments' query (or is read
    once); `portal.services` forgets it when notifications are marked read or created."""
    if not user.is_authenticated:
        return 0
    cache = _REQUEST_CACHE.get()
    if cache is None:
        return _unread_count_query(user).count()
    key = ("unread", user.pk)
    if key not in cache and ("role_assignments", user.pk) not in cache:
        _role_assignments(user)
    if key not in cache:
        cache[key] = _unread_count_query(user).count()
    return cache[key]


SESSION_SUBSCRIPTION_KEY = "current_subscription_id"


def current_subscription(request) -> Subscription | None:
    """The subscription chosen in the top-bar switcher, if the user still holds a role on it."""
    sub_id = request.session.get(SESSION_SUBSCRIPTION_KEY)
    if not sub_id:
        return None
    assignments = _role_assignments(request.user)
    if assignments is None:
        return subscriptions_for_user(user=request.user).filter(pk=sub_id).first()
    wanted = str(sub_id).lower()
    return next((a.subscription for a in assignments if str(a.subscription_id) == wanted), None)


def api_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The user's own API tokens, newest first (never anyone else's)."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).select_related("subscription")


def api_token_for_user(*, user: User, token_id: object) -> ApiToken:
    """One of the user's own tokens (404 for anyone else's or a missing one)."""
    try:
        pk = int(str(token_id))
    except ValueError:
        raise Http404("No such token.") from None
    token = api_tokens_for_user(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token
