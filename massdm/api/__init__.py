"""HTTP edge: routers parse, authorise, call one service and serialise; envelope, errors, metering."""
