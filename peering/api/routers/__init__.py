"""One router per SDK operation group."""
