"""Reading a `pareprop-run --dump` file and comparing its results with a
reference, for the model generators' --check-dump modes: thin wrappers that
exit with the message, over the Python package's pareprop.dumpfile (imported
when first used, so that emitting a model needs no PyTorch)."""
import os
import sys


def _dumpfile():
    frontend = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                            "python-frontend")
    if frontend not in sys.path:
        sys.path.insert(0, frontend)
    from pareprop import dumpfile
    return dumpfile


def read_dump(path):
    """(inputs {index: value}, results {schedule: {k: value}}, gradient
    argument indices from the header or None); see pareprop.dumpfile."""
    try:
        return _dumpfile().read_dump(path)
    except (OSError, ValueError) as e:
        sys.exit(str(e))


def to_torch(value, dtype):
    return _dumpfile().to_torch(value, dtype)


def compare(results, reference, labels, rtol, to_tensor):
    """Prints one PASS/FAIL line per schedule; exits 1 if one fails."""
    try:
        ok = _dumpfile().compare(results, reference, labels, rtol, to_tensor)
    except ValueError as e:
        sys.exit(str(e))
    sys.exit(0 if ok else 1)
