"""Hand-written transaction histories for the Elle-style checkers' tests.

History().txn(mops, type, process) appends one txn, its invocation immediately followed by its
completion (the request has nulls for reads; a non-ok completion repeats the request);
.together(txns...) appends concurrent ok txns: every invocation first, then every completion.
"""


class History:
    def __init__(self):
        self.ops = []

    def txn(self, mops, type="ok", process=0):
        asked = [[f, k, None if f == "r" else v] for f, k, v in mops]
        for t, value in (("invoke", asked), (type, mops if type == "ok" else asked)):
            self.ops.append({"index": len(self.ops), "type": t, "f": "txn", "value": value,
                             "process": process, "time": len(self.ops) * 1000})
        return self

    def together(self, *txns):
        for t in ("invoke", "ok"):
            for process, mops in enumerate(txns):
                value = [[f, k, None if f == "r" and t == "invoke" else v] for f, k, v in mops]
                self.ops.append({"index": len(self.ops), "type": t, "f": "txn", "value": value,
                                 "process": 10 + process, "time": len(self.ops) * 1000})
        return self
