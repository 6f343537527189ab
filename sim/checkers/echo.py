"""echo, as Maelstrom's checker: every completion must be ok and carry the request's echo, so
an op that failed or timed out (no echo_ok at all) is an error too."""


def check(history):
    errors = []
    for op in history.completed:
        if op.f != "echo":
            continue
        if op.type != "ok":
            errors.append({"process": op.process, "sent": op.invoke_value, "received": None,
                           "type": op.type})
        elif op.value != op.invoke_value:
            errors.append({"process": op.process, "sent": op.invoke_value, "received": op.value})
    return {"valid": not errors, "errors": errors[:20], "error_count": len(errors)}
