"""Reading a `pareprop-run --dump` file and comparing its results with a
reference, shared by the model generators' --check-dump modes."""
import sys


def read_dump(path):
    """(inputs {index: value}, results {schedule: {k: value}}, gradient
    argument indices from the header or None); a value is (dtype, shape,
    values), with an int for the values of an i64 scalar."""
    inputs, results, header_grads = {}, {}, None
    rows = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                tail = line.split("gradients of arguments", 1)
                if len(tail) == 2:
                    header_grads = [int(v) for v in tail[1].split()]
                continue
            if line.strip():
                rows.append(line.split())
    if len(rows) % 2:
        sys.exit(f"{path}: truncated dump (a header without values)")
    for header, values in zip(rows[0::2], rows[1::2]):
        if header[0] not in ("arg", "result"):
            sys.exit(f"{path}: unexpected line starting {header[0]!r}")
        dtype, rank = header[3], int(header[4])
        shape = tuple(int(d) for d in header[5:5 + rank])
        if dtype == "i64":
            if rank != 0 or len(values) != 1:
                sys.exit(f"{path}: i64 values must be scalars")
            value = ("i64", (), int(values[0]))
        else:
            value = (dtype, shape, [float(v) for v in values])
        if header[0] == "arg":
            inputs[int(header[1])] = value
        else:
            results.setdefault(header[1], {})[int(header[2])] = value
    return inputs, results, header_grads


def to_torch(value, dtype):
    """A dumped tensor as a torch tensor of `dtype`. f32 values are written
    with the 9 digits that identify a float: round them to float32 first so
    that a wider reference sees exactly the values the step computed with."""
    import torch
    kind, shape, values = value
    exact = torch.float32 if kind == "f32" else torch.float64
    return torch.tensor(values, dtype=exact).to(dtype).reshape(shape)


def compare(results, reference, labels, rtol, to_tensor):
    """Prints one PASS/FAIL line per schedule: the largest difference of any
    result from the reference tensor, relative to the reference's largest
    magnitude. Exits 1 if one fails."""
    if not results:
        sys.exit("the dump holds no results")
    ok = True
    for schedule, raw in results.items():
        if sorted(raw) != list(range(len(reference))):
            sys.exit(f"schedule {schedule} has {len(raw)} results, the model "
                     f"{len(reference)}: are the generator options the same?")
        worst, where = 0.0, labels[0]
        for k, ref in enumerate(reference):
            got = to_tensor(raw[k])
            if got.shape != ref.shape:
                sys.exit(f"result {k} of {schedule} ({labels[k]}) has shape "
                         f"{tuple(got.shape)}, expected {tuple(ref.shape)}")
            diff = (got - ref).abs().max().item()
            scale = ref.abs().max().item()
            rel = diff / scale if scale > 0 else diff
            if not rel <= worst:          # NaN counts as the worst
                worst, where = rel, labels[k]
        passed = worst <= rtol
        ok &= passed
        print(f"torch autograd vs {schedule}: max relative difference "
              f"{worst:.3e} in {where} (tolerance {rtol:.0e}) "
              f"{'PASS' if passed else 'FAIL'}")
    sys.exit(0 if ok else 1)
