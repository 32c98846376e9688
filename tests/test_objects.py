"""Objects as arguments, results and receivers (issue 19): derivatives with respect to a
namedtuple, a dataclass, a plain object or a registered class are objects of the same type;
`@ad.differentiate` binds methods as functions do.  (Programs that read objects made in the
function, and bound methods, are in the transform matrix: tests/programs.py.)"""
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

import s2s_ad as ad

Params = namedtuple("Params", "w b")


@dataclass
class Layer:
    w: np.ndarray
    b: float
    name: str = "dense"          # no derivative: kept as it is in the gradient


class Plain:
    def __init__(self, w, b):
        self.w, self.b = w, b


class Slotted:                   # no __dict__: registered with its fields
    __slots__ = ("w", "b")

    def __init__(self, w, b):
        self.w, self.b = w, b


ad.register_pytree(Slotted, ("w", "b"), lambda obj, values: Slotted(
    values.get("w", obj.w), values.get("b", obj.b)))


def loss(p, x):
    return np.sum(np.tanh(p.w * x) ** 2) * p.b + p.b ** 2


def nested_loss(ps, x):
    return loss(ps[0], x) + loss(ps[1]["inner"], x * 2.0)


rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, 3)


def _make(cls):
    return cls(rng.uniform(-1, 1, 3), 0.7)


@pytest.mark.parametrize("cls", [Params, Layer, Plain, Slotted])
def test_gradient_has_the_arguments_type(cls):
    p = _make(cls)
    g = ad.grad(loss)(p, X)
    assert type(g) is cls
    h = 1e-6
    for field, value in (("w", np.eye(3)[1]), ("b", 1.0)):
        up = ad.runtime.objects.rebuilt(p, {field: getattr(p, field) + h * value})
        down = ad.runtime.objects.rebuilt(p, {field: getattr(p, field) - h * value})
        expected = (loss(up, X) - loss(down, X)) / (2 * h)
        got = np.sum(getattr(g, field) * value)
        assert abs(got - expected) < 1e-6 * (1 + abs(expected))
    ad.check_grads(loss, (p, X))
    ad.check_grads(loss, (p, X), wrt=(1,), order=2)


def test_static_fields_are_kept_and_the_argument_unchanged():
    layer = Layer(np.ones(3), 0.5, name="first")
    before = layer.w.copy()
    g = ad.grad(loss)(layer, X)
    assert g.name == "first" and isinstance(g.b, float)
    assert np.array_equal(layer.w, before) and layer.b == 0.5


def test_records_nested_in_lists_and_dicts():
    ps = [_make(Params), {"inner": _make(Layer)}]
    g = ad.grad(nested_loss)(ps, X)
    assert type(g[0]) is Params and type(g[1]["inner"]) is Layer
    ad.check_grads(nested_loss, (ps, X))


def test_vjp_jvp_and_hvp_of_a_namedtuple_argument():
    p = _make(Params)
    out, pullback = ad.vjp(loss, p, X, wrt=0)
    (cot,) = pullback(1.0)
    assert type(cot) is Params
    _, tangent = ad.jvp(loss, (p, X), (Params(np.ones(3), 0.0), np.zeros(3)))
    assert abs(tangent - np.sum(cot.w)) < 1e-10
    v = Params(np.ones(3), 1.0)
    hv = ad.hvp(loss)(p, X, v)
    assert type(hv) is Params


class Model:
    def __init__(self, w):
        self.w = w

    @ad.differentiate
    def energy(self, x):
        return np.sum(self.w * x ** 2)

    @ad.differentiate
    @classmethod
    def scaled(cls, x):
        return cls.K * np.sum(x ** 3)

    @classmethod
    @ad.differentiate
    def scaled_inner(cls, x):
        return cls.K * np.sum(x ** 3)

    @ad.differentiate
    @staticmethod
    def plain(x):
        return np.sum(np.sin(x))

    K = 2.0


def test_differentiate_binds_methods():
    m = Model(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(m.energy.grad(X), 2 * m.w * X)
    np.testing.assert_allclose(m.energy(X), np.sum(m.w * X ** 2))
    np.testing.assert_allclose(m.energy.hessian(X), np.diag(2 * m.w))
    _, tangent = m.energy.jvp((X,), (np.ones(3),))
    np.testing.assert_allclose(tangent, np.sum(2 * m.w * X))
    np.testing.assert_allclose(m.energy.vjp(X)[1](1.0)[0], 2 * m.w * X)
    np.testing.assert_allclose(ad.grad(m.energy)(X), 2 * m.w * X)
    for f in (Model.scaled, Model.scaled_inner, m.scaled, m.scaled_inner):
        np.testing.assert_allclose(f.grad(X), 6.0 * X ** 2)
    np.testing.assert_allclose(Model.plain.grad(X), np.cos(X))
    np.testing.assert_allclose(m.plain.grad(X), np.cos(X))


def test_a_method_of_a_global_object_is_followed():
    np.testing.assert_allclose(ad.grad(_calls_a_method)(X), 2 * 2 * MODEL.w * X)
    ad.check_grads(_calls_a_method, (X,), order=2)


MODEL = Model(np.array([0.5, -1.0, 2.0]))


def _energy(model, x):
    return np.sum(model.w * x ** 2)


Model.undecorated = _energy


def _calls_a_method(x):
    return MODEL.undecorated(x) * 2.0


def _writes_an_attribute(p, x):
    p.b = p.b * 2.0
    return np.sum(p.w * x) * p.b


def _calls_a_method_of_self(m, x):
    return m.undecorated(x)


@pytest.mark.parametrize("cls", [Layer, Plain, Slotted])
def test_an_assigned_attribute_is_a_new_object_and_the_callers_is_unchanged(cls):
    p = _make(cls)
    w, b = p.w.copy(), p.b
    g = ad.grad(_writes_an_attribute, wrt=(0, 1))(p, X)
    assert type(g[0]) is cls
    np.testing.assert_allclose(g[0].w, X * 2 * b)
    np.testing.assert_allclose(g[0].b, 2 * np.sum(w * X))
    np.testing.assert_allclose(g[1], w * 2 * b)
    ad.value_and_grad(_writes_an_attribute)(p, X)
    ad.vjp(_writes_an_attribute, p, X)[1](1.0)
    ad.jvp(_writes_an_attribute, (p, X), (p, X))
    ad.hvp(_writes_an_attribute, wrt=1)(p, X, X)
    assert p.b == b and np.array_equal(p.w, w)     # the derivatives left it as it was
    _writes_an_attribute(p, X)                      # the function itself changes it
    assert p.b == 2 * b


def test_a_method_of_an_argument_is_its_classs_function():
    np.testing.assert_allclose(ad.grad(_calls_a_method_of_self, wrt=1)(MODEL, X),
                               2 * MODEL.w * X)


class Doubled(Model):
    def undecorated(self, x):           # overrides: the code is specialised on the class
        return 2.0 * np.sum(self.w * x ** 3)


def test_methods_resolve_through_the_class_of_each_call():
    other = Doubled(MODEL.w)
    grad = ad.grad(_calls_a_method_of_self, wrt=1)
    np.testing.assert_allclose(grad(MODEL, X), 2 * MODEL.w * X)
    np.testing.assert_allclose(grad(other, X), 6 * MODEL.w * X ** 2)
    np.testing.assert_allclose(grad(MODEL, X), 2 * MODEL.w * X)


def _aliased(p, x):
    q = p
    p.b = p.b * 2.0
    return np.sum(q.w * x) * q.b


def _in_a_list(ps, x):
    for p in ps:
        p.b = p.b * x
    return ps[0].b


def _helper_writes(p, x):
    p.b = x
    return x


def _calls_a_writing_helper(p, x):
    _helper_writes(p, x)
    return p.b * x


class Cell:
    def __init__(self, w):
        self.w, self.h = w, 0.0

    def step(self, x):
        self.h = np.tanh(self.w * self.h + x)      # changes the caller's cell


def _steps_a_cell(cell, x):
    cell.step(x)
    return cell.h


def _writes_a_global(x):
    MODEL.scale = x
    return x * 2.0


@dataclass(frozen=True)
class Frozen:
    b: float


def _writes_a_frozen(x):
    p = Frozen(x)
    p.b = x * 2.0
    return p.b


def _writes_a_namedtuple(x):
    p = Params(x, x)
    p.b = x * 2.0
    return p.b


def _from_a_list(ms, x):
    m = ms[0]
    return m.undecorated(x)


@pytest.mark.parametrize("fn, args, message", [
    (_aliased, (Plain(X, 1.0), X), "another name, container or object may"),
    (_in_a_list, ([Plain(X, 1.0)], 0.5), "an item of what the loop walks"),
    (_calls_a_writing_helper, (Plain(X, 1.0), 0.5), "'p.b' of an object this function gives"),
    (_steps_a_cell, (Cell(0.5), 0.5), "'self.h' of an object this function gives"),
    (_writes_a_global, (0.5,), "a module-level or enclosing function's object"),
    (_writes_a_frozen, (0.5,), "a frozen dataclass"),
    (_writes_a_namedtuple, (0.5,), "of the namedtuple Params"),
    (_from_a_list, ([MODEL], X), "through the class"),
], ids=["alias", "loop item", "helper", "method", "global", "frozen", "namedtuple", "list item"])
def test_refusals_say_what_to_write(fn, args, message):
    with pytest.raises(ad.DifferentiationError, match=message) as info:
        ad.grad(fn, wrt=len(args) - 1)(*args)
    assert "test_objects.py" in str(info.value)


def _makes_a_plain_object(x):
    p = Plain(x, 1.0)
    return np.sum(p.w)


def test_a_class_with_an_init_is_refused_at_its_call():
    with pytest.raises(ad.DifferentiationError, match="Make Plain a dataclass") as info:
        ad.grad(_makes_a_plain_object)(X)
    assert "p = Plain(x, 1.0)" in str(info.value)


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("value", [{"w": np.array([1.0, 2.0]), "b": 0.5},
                                   (np.array([1.0, 2.0]), 0.5)], ids=["dict", "tuple"])
def test_jacobians_with_respect_to_a_container_are_refused_by_name(transform, value):
    # A Jacobian over a dict or tuple has no shape: refused naming the argument, never a
    # TypeError from the basis code.
    def f(p, x):
        return np.sum(np.sin(p[0] * x) * p[1]) if isinstance(p, tuple) else \
            np.sum(np.sin(p["w"] * x) * p["b"])
    with pytest.raises(ad.BadArgumentError, match="with respect to 'p'"):
        getattr(ad, transform)(f)(value, np.array([0.3, 0.4]))


def test_jacobians_with_respect_to_a_tuple_of_numbers_still_work():
    def f(p):
        a, b = p
        return np.array([a * b, a + b])
    for transform in (ad.jacfwd, ad.jacrev):
        assert np.allclose(transform(f)((1.0, 2.0)), [[2.0, 1.0], [1.0, 1.0]])


# -- every transform on record arguments, in each variant (generic or specialised code,
# optimised or not), against central differences ---------------------------------------------

VARIANTS = [dict(specialise=s, optimize=o) for s in (True, False) for o in (True, False)]


def looped_loss(p, x):
    s = 0.0
    for i in range(2):
        s = s + np.sum(np.sin(p.w * x + s)) * p.b
    return s


def _flat(p):
    return np.concatenate([np.ravel(p.w), [p.b]])


def _with(p, v):
    return ad.runtime.objects.rebuilt(p, {"w": v[:-1], "b": float(v[-1])})


def _by_differences(f, p, x, h=1e-6):
    v = _flat(p)
    return np.array([(f(_with(p, v + h * e), x) - f(_with(p, v - h * e), x)) / (2 * h)
                     for e in np.eye(v.size)])


def _gradient_inside(f):
    inner = ad.grad(f)

    def outer(p, x):        # reverse over the code inner runs, with records as arguments
        g = inner(p, x)
        return np.sum(g.w * g.w) + g.b * g.b
    return outer


TRANSFORMS = {
    "grad": lambda f, p, x, t: _flat(ad.grad(f)(p, x)),
    "value_and_grad": lambda f, p, x, t: _flat(ad.value_and_grad(f)(p, x)[1]),
    "vjp": lambda f, p, x, t: _flat(ad.vjp(f, p, x, wrt=0)[1](1.0)[0]),
    "differentiate": lambda f, p, x, t: _flat(ad.differentiate(f).grad(p, x)),
    "jvp": lambda f, p, x, t: ad.jvp(f, (p, x), (t, np.zeros(3)))[1],
    "hvp": lambda f, p, x, t: _flat(ad.hvp(f)(p, x, t)),
    "grad_of_grad": lambda f, p, x, t: _flat(ad.grad(_gradient_inside(f))(p, x)),
}


def _expected(name, f, p, x, t):
    if name == "jvp":
        return _by_differences(f, p, x) @ _flat(t)
    if name == "hvp":
        h = 1e-5
        return (_flat(ad.grad(f)(_with(p, _flat(p) + h * _flat(t)), x)) -
                _flat(ad.grad(f)(_with(p, _flat(p) - h * _flat(t)), x))) / (2 * h)
    if name == "grad_of_grad":
        return _by_differences(_gradient_inside(f), p, x)
    return _by_differences(f, p, x)


@pytest.mark.parametrize("variant", VARIANTS, ids=["SO", "Su", "GO", "Gu"])
@pytest.mark.parametrize("cls", [Params, Layer, Plain, Slotted])
@pytest.mark.parametrize("f", [loss, looped_loss])
@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_every_transform_on_a_record_in_every_variant(name, f, cls, variant):
    # Generic code once added a dataclass's cotangents with `+` (a TypeError) and joined a
    # namedtuple's into one long tuple; so did the code of a gradient differentiated again.
    p = cls(np.array([0.4, -0.2, 0.9]), 0.7)
    t = cls(np.array([1.0, 0.5, -1.0]), 0.3)
    with ad.api.variant(**variant):
        got = TRANSFORMS[name](f, p, X, t)
        if name not in ("jvp", "hvp"):
            assert type(ad.grad(f)(p, X)) is cls
        np.testing.assert_allclose(got, _expected(name, f, p, X, t), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev", "hessian"])
@pytest.mark.parametrize("cls", [Params, Layer, Plain, Slotted])
def test_jacobians_with_respect_to_a_record_are_refused_by_name(transform, cls):
    with pytest.raises(ad.BadArgumentError, match="with respect to 'p', a " + cls.__name__) \
            as info:
        getattr(ad, transform)(loss)(_make(cls), X)
    assert "ad.grad / ad.vjp / ad.hvp" in str(info.value)
    # the other argument, an array, still has its Jacobians
    assert np.shape(getattr(ad, transform)(loss, wrt=1)(_make(cls), X)) in ((3,), (3, 3))


def _tuple_out(x):
    return np.sin(x), np.cos(x) * x[0]


def _list_out(x):
    return [np.sin(x), np.cos(x) * x[0]]


def _dict_out(x):
    return {"a": np.sum(np.sin(x)), "b": x[0] * x[1]}


def _namedtuple_out(x):
    return Params(np.sum(np.sin(x)), x[0] * x[1])


def _dataclass_out(x):
    return Layer(np.sin(x), x[0] * x[1])


@pytest.mark.parametrize("transform", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("f", [_tuple_out, _list_out, _dict_out, _namedtuple_out, _dataclass_out])
@pytest.mark.parametrize("variant", VARIANTS, ids=["SO", "Su", "GO", "Gu"])
def test_jacobians_of_a_structured_output_are_refused_by_name(f, transform, variant):
    # They failed in the basis code (a TypeError or ValueError), or in generated code reading
    # the seed's fields, and jacfwd and jacrev differed on which worked.
    out = f(X)
    with ad.api.variant(**variant), pytest.raises(
            ad.BadArgumentError, match=f"of {f.__name__}, whose output is a {type(out).__name__}"):
        getattr(ad, transform)(f)(X)
    _, pullback = ad.vjp(f, X)          # what the message offers instead
    assert np.shape(pullback(ad.runtime.objects.rebuilt(out, {})
                             if type(out) in (Params, Layer) else out)[0]) == (3,)


def test_jacobians_of_a_tuple_of_numbers_still_work():
    def f(x):
        return x[0] * x[1], x[0] + x[1]
    for transform in (ad.jacfwd, ad.jacrev):
        assert np.allclose(transform(f)(np.array([1.0, 2.0])), [[2.0, 1.0], [1.0, 1.0]])


def _same_object(p):
    q = p
    return q


def _held_through_a_helper(x):
    p = Layer(x, 1.0)
    q = _same_object(p)        # q is p
    p.b = 2.0
    return np.sum(q.w) * q.b


def test_an_object_returned_by_a_helper_is_refused_where_attributes_are_assigned():
    with pytest.raises(ad.DifferentiationError, match="returns the object it is given"):
        ad.grad(_held_through_a_helper)(X)


def _counts(p, x):
    p.b += 1.0                  # a number: a new one, as Python makes
    p.b *= x
    return p.b * np.sum(p.w)


def _adds_into_an_array(p, x):
    w = p.w
    p.w += x                    # Python writes into the array w holds too
    return np.sum(w * p.w)


def test_an_updated_number_attribute_follows_and_an_updated_array_is_refused():
    p = Plain(X, 0.5)
    np.testing.assert_allclose(ad.grad(_counts, wrt=1)(p, 0.7), 1.5 * np.sum(X))
    assert p.b == 0.5
    with pytest.raises(TypeError, match="obj.w = obj.w \\+ v"):
        ad.grad(_adds_into_an_array, wrt=1)(Plain(X, 0.5), X)


@dataclass
class Box:
    w: np.ndarray

    @property
    def area(self):
        return np.sum(self.w ** 2)

    def grown(self, s):
        return Box(self.w * s)


def _property_of_a_made_object(x):
    b = Box(x)
    b.w = b.w * 2.0
    return b.area                     # Box known: a call of the getter


def _property_of_a_calls_result(x):
    return Box(x).grown(3.0).area     # the result's class is not known


def _getter_of_a_calls_result(x):
    return Box.area.fget(Box(x).grown(3.0))


def test_a_property_is_its_getter_where_the_class_is_known_and_refused_elsewhere():
    np.testing.assert_allclose(ad.grad(_property_of_a_made_object)(X), 8 * X)
    np.testing.assert_allclose(ad.jvp(_property_of_a_made_object, (X,), (X,))[1],
                               8 * np.sum(X * X))
    np.testing.assert_allclose(ad.grad(_getter_of_a_calls_result)(X), 18 * X)
    # the property of the tangent would be taken for its derivative in forward mode
    for transform in (lambda f: ad.grad(f)(X), lambda f: ad.jvp(f, (X,), (X,))):
        with pytest.raises(TypeError, match="Box.area.fget"):
            transform(_property_of_a_calls_result)


@dataclass
class _Field:
    x: np.ndarray
    v: float


def _adds_through_a_field_read(s, w):
    t = s.x          # the object's own array: `t += w` changes s.x too
    t += w
    return np.sum(s.x ** 2) + np.sum(t)


def test_an_update_through_a_name_for_an_objects_field_is_refused():
    """It gave a silently wrong gradient (2.0 where 9.2 is right): s.x was taken as a value
    of its own, not as the array t changes."""
    with pytest.raises(ad.UnsupportedSyntaxError, match=r"`t \+= \.\.\.` would also change 's'"):
        ad.grad(_adds_through_a_field_read, wrt=1)(_Field(np.array([1.0, 2.0]), 0.5), 0.3)
