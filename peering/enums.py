"""The Microsoft.Peering vocabulary: every value is the API's own enum string.

The UI, the database and the API speak these words and no others (arm-api-facts.md §2).
"""

from django.db import models


class ValidationState(models.TextChoices):
    NONE = "None"
    PENDING = "Pending"
    APPROVED = "Approved"
    FAILED = "Failed"


class ContactRole(models.TextChoices):
    NOC = "Noc", "NOC"
    POLICY = "Policy"
    TECHNICAL = "Technical"
    SERVICE = "Service"
    ESCALATION = "Escalation"
    OTHER = "Other"


class Kind(models.TextChoices):
    DIRECT = "Direct"
    EXCHANGE = "Exchange"


class SkuName(models.TextChoices):
    BASIC_EXCHANGE_FREE = "Basic_Exchange_Free", "Basic Free"
    BASIC_DIRECT_FREE = "Basic_Direct_Free", "Basic Free"
    PREMIUM_DIRECT_FREE = "Premium_Direct_Free", "Premium Free"
    PREMIUM_EXCHANGE_METERED = "Premium_Exchange_Metered", "Premium Metered"
    PREMIUM_DIRECT_METERED = "Premium_Direct_Metered", "Premium Metered"
    PREMIUM_DIRECT_UNLIMITED = "Premium_Direct_Unlimited", "Premium Unlimited"


class DirectPeeringType(models.TextChoices):
    EDGE = "Edge"
    TRANSIT = "Transit"
    CDN = "Cdn"
    INTERNAL = "Internal"
    IX = "Ix"
    IX_RS = "IxRs"
    VOICE = "Voice"
    EDGE_ZONE_FOR_OPERATORS = "EdgeZoneForOperators"
    PEER_PROP = "PeerProp"


class SessionAddressProvider(models.TextChoices):
    MICROSOFT = "Microsoft"
    PEER = "Peer"


class ConnectionState(models.TextChoices):
    NONE = "None"
    PENDING_APPROVAL = "PendingApproval"
    APPROVED = "Approved"
    PROVISIONING_STARTED = "ProvisioningStarted"
    PROVISIONING_FAILED = "ProvisioningFailed"
    PROVISIONING_COMPLETED = "ProvisioningCompleted"
    VALIDATING = "Validating"
    ACTIVE = "Active"
    TYPE_CHANGE_REQUESTED = "TypeChangeRequested"
    TYPE_CHANGE_IN_PROGRESS = "TypeChangeInProgress"
    EXTERNAL_BLOCKER = "ExternalBlocker"
    # Documented as a connection state during deprovisioning, though the API enum lacks it.
    PENDING_REMOVE = "PendingRemove"


class SessionState(models.TextChoices):
    NONE = "None"
    IDLE = "Idle"
    CONNECT = "Connect"
    ACTIVE = "Active"
    OPEN_SENT = "OpenSent"
    OPEN_CONFIRM = "OpenConfirm"
    OPEN_RECEIVED = "OpenReceived"
    ESTABLISHED = "Established"
    PENDING_ADD = "PendingAdd"
    PENDING_UPDATE = "PendingUpdate"
    PENDING_REMOVE = "PendingRemove"


class PrefixValidationState(models.TextChoices):
    NONE = "None"
    INVALID = "Invalid"
    VERIFIED = "Verified"
    FAILED = "Failed"
    PENDING = "Pending"
    WARNING = "Warning"
    UNKNOWN = "Unknown"


class LearnedType(models.TextChoices):
    NONE = "None"
    VIA_SERVICE_PROVIDER = "ViaServiceProvider"
    VIA_SESSION = "ViaSession"


class ProvisioningState(models.TextChoices):
    SUCCEEDED = "Succeeded"
    UPDATING = "Updating"
    DELETING = "Deleting"
    FAILED = "Failed"
    CANCELED = "Canceled"


class PrefixEventLevel(models.TextChoices):
    """A Peering Service prefix event's `eventLevel`."""

    INFORMATION = "Information"
    WARNING = "Warning"
    ERROR = "Error"
    CRITICAL = "Critical"
