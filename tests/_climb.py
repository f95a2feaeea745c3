"""Follow one value handed in at an entry point through a package's calls, by reading its source.

What ``tests/test_architecture.py`` measures, standard library only (``ast``): no
import of the package, so it runs in a fraction of a second and sees lazy imports.

**The path.** It starts at one parameter of one function. In a function's body
the value is every name that carries it:

- the parameters it came in by (``self`` too, when it is the object a method
  was called on);
- names bound from an expression that carries it: assignment (also annotated,
  augmented and ``:=``), ``for x in value``, a comprehension's ``for``, ``with
  value as x``;
- an expression carries it when it is such a name; a tuple, list, set or dict
  display, a comprehension or a ``*``-unpacking with it inside; ``value[i]``;
  ``a or value`` and ``x if c else value``; an object of a package class
  constructed with it (``run = _Run(..., value)``, or ``cls(..., value)`` in a
  classmethod of the class); the result of
  ``list``/``tuple``/``sorted``/``replace``/... of it, or of ``value.get``,
  ``value.pop``, ``value.values``...; the result of a package function that
  returns it (one of its ``return`` statements returns an expression that
  carries it, as the path followed into it found);
- an attribute carries it when the object does and the attribute is one the
  value was put in: a dataclass field or named-tuple field it was constructed
  with (by position or keyword), an attribute assigned from it anywhere
  (``self.x = value``, ``run.x = value``), or a property whose ``return``
  carries it (``self.provider`` returning ``self.chain[0][0]``). ``c.append(value)``,
  ``c.add``, ``c.extend``, ``c.insert`` and ``c[k] = value`` make ``c`` carry it.

Bindings are flow-insensitive (once a name carries the value it keeps it), and
the body is read twice, so a binding late in a loop reaches a call early in it.
Lambdas are read as part of the function that defines them; a nested function
is read when it is called.

**Function values.** A nested function that reads a name carrying the value (a
closure over it), and ``obj.method`` not called where ``obj`` carries it (a
bound method), carry the value too. Handed to a package function, they go with
the parameter they were passed as, and calling that parameter there enters
them (``on_file(...)`` in the scheduler runs the pipeline's ``write``); handed
to anything else (``loop.call_soon(self._flush)``), they are entered at once,
and so is a package function handed to anything else with the value among the
arguments after it (``loop.call_soon(flush, run)`` calls ``flush(run)``).
A callback the path did not hand down itself (a parameter of the entry, say)
is not followed: which function it is would take every caller of the entry.

**The calls.** A call passes the value when an argument carries it (by
position, keyword, ``*`` or ``**``), or when it is ``obj.method(...)`` with
``obj`` carrying it; a property read on an object carrying it is a call too.
The callee is resolved statically, only inside the package: a name defined in
the module, or imported by it (absolute, relative, or inside the function: a
lazy import), re-exports followed; ``module.function``; ``Class.method``;
``obj.method`` where the class of ``obj`` is known: ``self`` (the enclosing
class), a parameter's annotation (``X``, ``X | None``), a name assigned a
constructed object (``x = X(...)``) or annotated, an attribute of ``self``
annotated in the class or assigned a constructed object; methods are looked up
through the package's base classes. Constructing a package class enters its
``__init__`` (or, for a dataclass without one, its ``__post_init__``). The
class of a name also comes from the return annotation of the function or
property it was assigned from. The path continues in the callee with the
parameters the value was passed as; calls to anything outside the package, or
on an object whose class is unknown, are not followed. A function is entered once per set of
parameters carrying the value (depth first), so recursion ends.

**The measure.** Every call edge the path took (caller -> callee, each pair
once) is given the layers of its two modules. An edge whose callee's layer is
higher than its caller's is a **climb**. An edge into another module that the
path from the entry to the caller has already been in and left is a **revisit**.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

Def = ast.FunctionDef | ast.AsyncFunctionDef

_REPACKAGE = frozenset(
    {"list", "tuple", "set", "frozenset", "sorted", "reversed", "iter", "next", "enumerate"}
    | {"zip", "dict", "cast", "replace", "deque", "chain"}
)
"""Builtins and helpers whose result holds the value given to them."""
_ELEMENT_METHODS = frozenset({"get", "pop", "popleft", "copy", "values", "items", "setdefault"})
"""Container methods whose result is (part of) the container that carries the value."""
_STORE_METHODS = frozenset({"append", "appendleft", "add", "extend", "insert", "put_nowait"})
"""Container methods that put their argument in the container."""


@dataclass(frozen=True)
class Layer:
    """A stage of the package: the modules whose dotted names start with one of ``prefixes``."""

    name: str
    prefixes: tuple[str, ...]


class Layers:
    """The package's layers, top (entry points) first; a module falls in its longest prefix's."""

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)

    def of(self, module: str) -> int | None:
        """The index of ``module``'s layer (0 is the top), None when no prefix matches."""
        best: tuple[int, int] | None = None
        for index, layer in enumerate(self.layers):
            for prefix in layer.prefixes:
                inside = module == prefix or module.startswith(prefix + ".")
                if inside and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), index)
        return None if best is None else best[1]

    def name(self, index: int | None) -> str:
        return "?" if index is None else self.layers[index].name


@dataclass
class Class:
    """A class of the package."""

    module: Module
    name: str
    node: ast.ClassDef
    methods: dict[str, Def] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    """Names annotated in the class body, in order: a dataclass's or named tuple's fields."""

    @property
    def id(self) -> str:
        return f"{self.module.name}.{self.name}"

    def is_dataclass(self) -> bool:
        return any("dataclass" in ast.unparse(d) for d in self.node.decorator_list) or any(
            ast.unparse(b).endswith("NamedTuple") for b in self.node.bases
        )


@dataclass
class Module:
    """A module of the package: its definitions and what its names import."""

    name: str
    path: Path
    package: bool
    tree: ast.Module
    functions: dict[str, Def] = field(default_factory=dict)
    classes: dict[str, Class] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    """Local name -> dotted name, for every import at any level of the module."""


@dataclass(frozen=True)
class Function:
    """A function or method of the package, as the path enters it."""

    module: Module
    node: Def
    cls: Class | None
    outer: str | None = None
    """The qualified name of the function a nested function is defined in."""

    @property
    def qualname(self) -> str:
        if self.outer is not None:
            return f"{self.outer}.{self.node.name}"
        return f"{self.cls.name}.{self.node.name}" if self.cls else self.node.name

    @property
    def id(self) -> str:
        return f"{self.module.name}.{self.qualname}"

    def place(self, root: Path) -> str:
        """``path:line qualname``, the path relative to ``root``."""
        return f"{self.module.path.relative_to(root)}:{self.node.lineno} {self.qualname}"


def _imports_of(node: ast.AST, here: list[str]) -> dict[str, str]:
    """Every import under ``node``, local name -> dotted name, relative ones from ``here``."""
    found: dict[str, str] = {}
    for each in ast.walk(node):
        if isinstance(each, ast.Import):
            for alias in each.names:
                if alias.asname:
                    found[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    found[head] = head
        elif isinstance(each, ast.ImportFrom):
            base = each.module or ""
            if each.level:
                base = ".".join([*here[: len(here) - each.level + 1], *filter(None, [base])])
            for alias in each.names:
                found[alias.asname or alias.name] = f"{base}.{alias.name}"
    return found


class Package:
    """Every module of a package under ``root``, parsed once."""

    def __init__(self, root: Path, package: str) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        self._bases: dict[str, list[Class]] = {}
        self._attributes: dict[tuple[str, str], Class | None] = {}
        self._local_imports: dict[int, dict[str, str]] = {}
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = Module(name, path, is_package, tree)
            here = name.split(".") if is_package else name.split(".")[:-1]
            module.imports = _imports_of(tree, here)
            for node in tree.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    module.functions[node.name] = node
                elif isinstance(node, ast.ClassDef):
                    module.classes[node.name] = _class(module, node)
            self.modules[name] = module

    def lookup(self, dotted: str, depth: int = 0) -> Module | Class | Function | None:
        """What a dotted name is in the package: a module, a class, a function or a method."""
        parts = dotted.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.modules.get(".".join(parts[:cut]))
            if module is not None:
                return self._inside(module, parts[cut:], depth)
        return None

    def _inside(
        self, module: Module, rest: list[str], depth: int
    ) -> Module | Class | Function | None:
        if not rest:
            return module
        head, tail = rest[0], rest[1:]
        if head in module.functions and not tail:
            return Function(module, module.functions[head], None)
        if head in module.classes:
            cls = module.classes[head]
            if not tail:
                return cls
            method = self.method(cls, tail[0]) if len(tail) == 1 else None
            return method
        if head in module.imports and depth < 10:  # a re-export, or a module imported by name
            return self.lookup(".".join([module.imports[head], *tail]), depth + 1)
        return None

    def bases(self, cls: Class) -> list[Class]:
        """``cls`` and its base classes that are in the package, nearest first."""
        if cls.id not in self._bases:
            found: list[Class] = []
            pending = [cls]
            while pending:
                each = pending.pop(0)
                if all(each is not seen for seen in found):
                    found.append(each)
                    for base in each.node.bases:
                        named = self.lookup_in(each.module, None, ast.unparse(base))
                        pending += [named] if isinstance(named, Class) else []
            self._bases[cls.id] = found
        return self._bases[cls.id]

    def method(self, cls: Class, name: str) -> Function | None:
        for each in self.bases(cls):
            if name in each.methods:
                return Function(each.module, each.methods[name], each)
        return None

    def lookup_in(
        self, module: Module, function: Def | None, dotted: str
    ) -> Module | Class | Function | None:
        """What ``dotted`` names where ``function`` (or the module's top level) reads it."""
        head, _, rest = dotted.partition(".")
        target: str | None = None
        if function is not None:
            if id(function) not in self._local_imports:
                here = module.name.split(".") if module.package else module.name.split(".")[:-1]
                self._local_imports[id(function)] = _imports_of(function, here)
            target = self._local_imports[id(function)].get(head)
        if target is None and (head in module.functions or head in module.classes):
            target = f"{module.name}.{head}"
        if target is None:
            target = module.imports.get(head)
        if target is None:
            return None
        return self.lookup(f"{target}.{rest}" if rest else target)

    def attribute_class(self, cls: Class, attr: str) -> Class | None:
        """The package class of ``cls``'s attribute ``attr``: annotated, or built in a method."""
        key = (cls.id, attr)
        if key not in self._attributes:
            self._attributes[key] = None
            for each in self.bases(cls):
                for node in ast.walk(each.node):
                    annotation: ast.expr | None = None
                    if isinstance(node, ast.AnnAssign) and _names(node.target, attr):
                        annotation = node.annotation
                    elif (
                        isinstance(node, ast.Assign)
                        and isinstance(node.value, ast.Call)
                        and any(_names(target, attr) for target in node.targets)
                    ):
                        annotation = node.value.func
                    found = self.resolve_type(each.module, annotation) if annotation else None
                    if found is not None and self._attributes[key] is None:
                        self._attributes[key] = found
        return self._attributes[key]

    def resolve_type(self, module: Module, node: ast.expr) -> Class | None:
        """The package class an annotation names (``X``, ``X | None``, ``"X"``), if any."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(node, ast.BinOp):
            return self.resolve_type(module, node.left) or self.resolve_type(module, node.right)
        if _dotted(node):
            found = self.lookup_in(module, None, ast.unparse(node))
            return found if isinstance(found, Class) else None
        return None


def _class(module: Module, node: ast.ClassDef) -> Class:
    cls = Class(module, node.name, node)
    for item in node.body:
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
            cls.methods[item.name] = item
        elif (
            isinstance(item, ast.AnnAssign)
            and isinstance(item.target, ast.Name)
            and "ClassVar" not in ast.unparse(item.annotation)
        ):
            cls.fields.append(item.target.id)
    return cls


def _decorated(node: Def, name: str) -> bool:
    return any(ast.unparse(d).split(".")[-1] == name for d in node.decorator_list)


def _params(node: Def) -> list[str]:
    args = node.args
    return [a.arg for a in [*args.posonlyargs, *args.args]]


@dataclass(frozen=True)
class Edge:
    """One call the value travelled by."""

    caller: Function
    callee: Function
    line: int
    caller_layer: int | None
    callee_layer: int | None
    revisit: bool

    @property
    def climbs(self) -> bool:
        """The callee's layer is above the caller's."""
        up, down = self.callee_layer, self.caller_layer
        return up is not None and down is not None and up < down

    def describe(self, root: Path, layers: Layers) -> str:
        caller = f"{self.caller.module.path.relative_to(root)}:{self.line} {self.caller.qualname}"
        return (
            f"{caller} [{layers.name(self.caller_layer)}] -> "
            f"{self.callee.id} [{layers.name(self.callee_layer)}]"
        )


@dataclass
class Trace:
    """Where one value went: every call edge it took, in the order first taken."""

    entry: str
    parameter: str
    edges: list[Edge]

    @property
    def climbs(self) -> list[Edge]:
        return [edge for edge in self.edges if edge.climbs]

    @property
    def revisits(self) -> list[Edge]:
        return [edge for edge in self.edges if edge.revisit]


Callable = tuple[Function, frozenset[str]]
"""A function value that carries the value: a closure over it or a bound method of an object
holding it, with the names that carry the value when it runs."""


class _Tracer:
    def __init__(self, package: Package, layers: Layers, attrs: set[tuple[str, str]]) -> None:
        self.package = package
        self.layers = layers
        self.attrs = attrs
        """(class id, attribute) pairs that carry the value, grown as the path finds them."""
        self.grew = False
        self.edges: dict[tuple[str, str], Edge] = {}
        self.returns: dict[tuple[str, frozenset[str]], bool] = {}
        self.active: set[tuple[str, frozenset[str]]] = set()
        self.stack: list[Function] = []
        self.callables: dict[tuple[str, str], Callable] = {}
        """(function id, parameter) -> the carrying function value passed in by it."""

    def enter(self, function: Function, params: frozenset[str]) -> bool:
        """Follow the value into ``function`` by ``params``; whether the function returns it."""
        key = (function.id, params)
        if key in self.returns:
            return self.returns[key]
        if key in self.active:
            return False
        self.active.add(key)
        self.stack.append(function)
        scope = _Scope(self, function, set(params))
        for _ in range(2):
            scope.statements(function.node.body)
        self.stack.pop()
        self.active.discard(key)
        self.returns[key] = scope.returns
        return scope.returns

    def call(self, caller: Function, callee: Function, line: int) -> None:
        key = (caller.id, callee.id)
        if key in self.edges:
            return
        rooms = {each.module.name for each in self.stack}
        module = callee.module.name
        self.edges[key] = Edge(
            caller,
            callee,
            line,
            self.layers.of(caller.module.name),
            self.layers.of(module),
            revisit=module != caller.module.name and module in rooms,
        )

    def carry(self, cls: Class, attr: str) -> None:
        if (cls.id, attr) not in self.attrs:
            self.attrs.add((cls.id, attr))
            self.grew = True

    def carried(self, cls: Class, attr: str) -> bool:
        return any((each.id, attr) in self.attrs for each in self.package.bases(cls))


class _Scope:
    """One function's body, read with the names that carry the value."""

    def __init__(self, tracer: _Tracer, function: Function, names: set[str]) -> None:
        self.tracer = tracer
        self.package = tracer.package
        self.function = function
        self.names = names
        self.returns = False
        self.results: dict[int, bool] = {}
        """id() of a call or property read -> whether its result carries the value."""
        self.called: set[int] = set()
        """id() of every expression called (a method named in a call is no callback)."""
        self.types: dict[str, Class] = {}
        self.nested = {
            node.name: node
            for node in ast.walk(function.node)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node is not function.node
        }
        self.callables = {
            name: tracer.callables[(function.id, name)]
            for name in names
            if (function.id, name) in tracer.callables
        }
        args = function.node.args
        self.locals = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        self.locals |= {a.arg for a in [args.vararg, args.kwarg] if a} | set(self.nested)
        for node in ast.walk(function.node):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.locals.add(node.id)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
            if arg.annotation is not None:
                found = self._annotation(arg.annotation)
                if found is not None:
                    self.types[arg.arg] = found
        params = _params(function.node)
        if function.cls is not None and params and not _decorated(function.node, "staticmethod"):
            self.types[params[0]] = function.cls

    # -- statements ---------------------------------------------------------------------------

    def statements(self, body: Sequence[ast.stmt]) -> None:
        for stmt in body:
            self.statement(stmt)

    def statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.For | ast.AsyncFor):
            self.expr(stmt.iter)
            self.bind(stmt.target, self.carries(stmt.iter))
            self.statements([*stmt.body, *stmt.orelse])
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, self.carries(item.context_expr))
            self.statements(stmt.body)
        elif isinstance(stmt, ast.If | ast.While):
            self.expr(stmt.test)
            self.statements([*stmt.body, *stmt.orelse])
        elif isinstance(stmt, ast.Try | ast.TryStar):
            handlers = [s for h in stmt.handlers for s in h.body]
            self.statements([*stmt.body, *handlers, *stmt.orelse, *stmt.finalbody])
        elif isinstance(stmt, ast.Assign):
            self.expr(stmt.value)
            for target in stmt.targets:
                self.assign(target, stmt.value)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.expr(stmt.value)
                self.assign(stmt.target, stmt.value)
            found = self._annotation(stmt.annotation)
            if found is not None and isinstance(stmt.target, ast.Name):
                self.types[stmt.target.id] = found
        elif isinstance(stmt, ast.AugAssign):
            self.expr(stmt.value)
            self.bind(stmt.target, self.carries(stmt.value))
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self.expr(stmt.value)
                self.returns |= self.carries(stmt.value)
        elif not isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            # A nested function is read when it is called, or handed on as a callback.
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.stmt):
                    self.statement(child)
                elif isinstance(child, ast.expr):
                    self.expr(child)

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name) and target.id not in self.types:
            cls = self.class_of(value)
            if cls is not None:
                self.types[target.id] = cls
        elements = (ast.Tuple, ast.List)
        if (
            isinstance(target, elements)
            and isinstance(value, elements)
            and len(target.elts) == len(value.elts)
        ):
            for one, other in zip(target.elts, value.elts, strict=True):
                self.assign(one, other)
            return
        function = self.callable_of(value)
        if function is not None and isinstance(target, ast.Name):
            self.callables[target.id] = function
        self.bind(target, self.carries(value))

    def bind(self, target: ast.expr, carrying: bool) -> None:
        if not carrying:
            return
        if isinstance(target, ast.Name):
            self.names.add(target.id)
        elif isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self.bind(element, carrying)
        elif isinstance(target, ast.Starred):
            self.bind(target.value, carrying)
        elif isinstance(target, ast.Attribute):
            cls = self.class_of(target.value)
            if cls is not None:
                self.tracer.carry(cls, target.attr)
        elif isinstance(target, ast.Subscript):
            self.bind(target.value, carrying)

    # -- expressions --------------------------------------------------------------------------

    def expr(self, node: ast.expr) -> None:
        """Follow every call in ``node``, in the order they run, binding comprehension names."""
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            for generator in node.generators:
                self.expr(generator.iter)
                self.bind(generator.target, self.carries(generator.iter))
                for condition in generator.ifs:
                    self.expr(condition)
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            for part in parts:
                self.expr(part)
            return
        if isinstance(node, ast.Call):
            self.called.add(id(node.func))
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child)
            elif isinstance(child, ast.keyword):
                self.expr(child.value)
        if isinstance(node, ast.NamedExpr):
            self.bind(node.target, self.carries(node.value))
        elif isinstance(node, ast.Call):
            self.call(node)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            self.attribute(node)

    def call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _STORE_METHODS:
            self.bind(func.value, any(self.carries(arg) for arg in node.args))
        callee = self.callee(func)
        if isinstance(callee, Class):
            self.construct(node, callee)
            return
        if not isinstance(callee, Function):
            self.results[id(node)] = self._repackages(node)
            self.callbacks(node)
            return
        bound = False
        if isinstance(func, ast.Attribute) and not _decorated(callee.node, "staticmethod"):
            # Called on a class, only a classmethod is bound; on an object, every method.
            static_owner = isinstance(self.callee(func.value), Module | Class)
            bound = not static_owner or _decorated(callee.node, "classmethod")
        params = self._matched(node, callee, bound)
        if isinstance(func, ast.Attribute) and bound and self.carries(func.value):
            params |= set(_params(callee.node)[:1])
        carried = self.callable_of(func)
        if carried is not None:  # a closure or a bound method that carries the value
            params |= carried[1]
        if params:
            returned = self.enter(node, callee, frozenset(params))
            self.results[id(node)] = self.results.get(id(node), False) or returned

    def construct(self, node: ast.Call, cls: Class) -> None:
        """An object of a package class built: its fields, ``__init__`` or ``__post_init__``."""
        init = self.package.method(cls, "__init__")
        post = self.package.method(cls, "__post_init__")
        carried = [self.carries(a) for a in node.args]
        by_name = [(k.arg, self.carries(k.value)) for k in node.keywords]
        if cls.is_dataclass() and init is None:
            for name, carrying in [*zip(cls.fields, carried, strict=False), *by_name]:
                if carrying and name is not None:
                    self.tracer.carry(cls, name)
        self.results[id(node)] = any(carried) or any(c for _, c in by_name)
        if init is not None:
            params = self._matched(node, init, bound=True)
            if params:
                self.enter(node, init, frozenset(params))
        elif post is not None and self.results[id(node)]:
            self.enter(node, post, frozenset(_params(post.node)[:1]))

    def callbacks(self, node: ast.Call) -> None:
        """A function value handed to a call outside the package runs there: follow it now.

        So does a package function handed over with the value among the arguments after
        it (``loop.call_soon(flush, run)``): it is called with them, in order.
        """
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            carried = self.callable_of(arg)
            if carried is not None:
                self.enter(arg, carried[0], carried[1])
        for index, arg in enumerate(node.args):
            function = self.callee(arg) if _dotted(arg) else None
            if not isinstance(function, Function):
                continue
            after = node.args[index + 1 :]
            params = _params(function.node)
            passed = {
                name
                for name, value in zip(params, after, strict=False)
                if not isinstance(value, ast.Starred) and self.carries(value)
            }
            if passed:
                self.enter(arg, function, frozenset(passed))

    def attribute(self, node: ast.Attribute) -> None:
        """A property read on an object holding the value runs the property."""
        cls = self.class_of(node.value)
        if cls is None or not self.carries(node.value):
            return
        found = self.package.method(cls, node.attr)
        if found is None or not _decorated(found.node, "property"):
            return
        if self.enter(node, found, frozenset(_params(found.node)[:1])):
            self.tracer.carry(found.cls or cls, node.attr)

    def enter(self, node: ast.expr, callee: Function, params: frozenset[str]) -> bool:
        self.tracer.call(self.function, callee, node.lineno)
        return self.tracer.enter(callee, params)

    def _matched(self, node: ast.Call, callee: Function, bound: bool) -> set[str]:
        """The callee's parameters that receive the value from this call's arguments."""
        args = callee.node.args
        positional = _params(callee.node)[1 if bound else 0 :]
        names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
        matched: set[str] = set()
        pairs: list[tuple[ast.expr, set[str]]] = []
        for index, arg in enumerate(node.args):
            if isinstance(arg, ast.Starred):
                pairs.append(
                    (arg, {*positional[index:], *([args.vararg.arg] if args.vararg else [])})
                )
            elif index < len(positional):
                pairs.append((arg, {positional[index]}))
            elif args.vararg:
                pairs.append((arg, {args.vararg.arg}))
        for keyword in node.keywords:
            if keyword.arg is None:
                pairs.append((keyword.value, names))
            elif keyword.arg in names:
                pairs.append((keyword.value, {keyword.arg}))
            elif args.kwarg:
                pairs.append((keyword.value, {args.kwarg.arg}))
        for arg, params in pairs:
            if not self.carries(arg):
                continue
            matched |= params
            carried = self.callable_of(arg)
            if carried is not None:
                for param in params:
                    self.tracer.callables[(callee.id, param)] = carried
        return matched

    def _repackages(self, node: ast.Call) -> bool:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else ast.unparse(func)
        if isinstance(func, ast.Attribute) and name in _ELEMENT_METHODS:
            return self.carries(func.value)
        if name in _REPACKAGE:
            return any(self.carries(arg) for arg in node.args)
        return False

    def carries(self, node: ast.expr) -> bool:
        """Whether ``node`` holds the value (read after ``expr`` followed its calls)."""
        if isinstance(node, ast.Name):
            return node.id in self.names or self.callable_of(node) is not None
        if isinstance(node, ast.Starred | ast.Await | ast.NamedExpr):
            return self.carries(node.value)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(self.carries(element) for element in node.elts)
        if isinstance(node, ast.Dict):
            return any(self.carries(v) for v in [*node.values, *filter(None, node.keys)])
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return self.carries(node.elt)
        if isinstance(node, ast.DictComp):
            return self.carries(node.key) or self.carries(node.value)
        if isinstance(node, ast.Subscript):
            return self.carries(node.value)
        if isinstance(node, ast.BoolOp):
            return any(self.carries(value) for value in node.values)
        if isinstance(node, ast.IfExp):
            return self.carries(node.body) or self.carries(node.orelse)
        if isinstance(node, ast.Call):
            return self.results.get(id(node), False)
        if isinstance(node, ast.Attribute):
            cls = self.class_of(node.value)
            if cls is None or not self.carries(node.value):
                return False
            return self.tracer.carried(cls, node.attr) or self.callable_of(node) is not None
        return False

    def callable_of(self, node: ast.expr) -> Callable | None:
        """The function a function value names, when running it carries the value."""
        if isinstance(node, ast.Name):
            if node.id in self.callables:
                return self.callables[node.id]
            nested = self.nested.get(node.id)
            if nested is None:
                return None
            read = {n.id for n in ast.walk(nested) if isinstance(n, ast.Name)}
            captured = (self.names & read) - set(_params(nested))
            outer = self.function
            function = Function(outer.module, nested, None, outer=outer.qualname)
            return (function, frozenset(captured)) if captured else None
        if isinstance(node, ast.Attribute) and id(node) not in self.called:
            cls = self.class_of(node.value)
            method = self.package.method(cls, node.attr) if cls is not None else None
            if method is None or _decorated(method.node, "property"):
                return None
            if self.carries(node.value):
                return (method, frozenset(_params(method.node)[:1]))
        return None

    # -- names --------------------------------------------------------------------------------

    def callee(self, func: ast.expr) -> Module | Class | Function | None:
        """What a called expression is in the package, when it can be told from the source."""
        if isinstance(func, ast.Name):
            if func.id in self.callables:
                return self.callables[func.id][0]
            if func.id in self.nested:
                outer = self.function
                return Function(outer.module, self.nested[func.id], None, outer.qualname)
            function = self.function
            params = _params(function.node)
            if (
                function.cls
                and _decorated(function.node, "classmethod")
                and params[:1] == [func.id]
            ):
                return function.cls  # ``cls(...)`` in a classmethod builds its class
            if func.id in self.locals:
                return None
            return self.package.lookup_in(function.module, function.node, func.id)
        if not isinstance(func, ast.Attribute):
            return None
        owner = self.callee(func.value) if _dotted(func.value) else None
        if isinstance(owner, Module):
            return self.package.lookup(f"{owner.name}.{func.attr}")
        if isinstance(owner, Class):
            return self.package.method(owner, func.attr)
        cls = self.class_of(func.value)
        return self.package.method(cls, func.attr) if cls is not None else None

    def class_of(self, node: ast.expr) -> Class | None:
        """The package class of an object, when the source says it."""
        if isinstance(node, ast.Name):
            return self.types.get(node.id)
        if isinstance(node, ast.Attribute):
            owner = self.class_of(node.value)
            if owner is None:
                return None
            found = self.package.method(owner, node.attr)
            if found is not None and _decorated(found.node, "property"):
                return self._returned(found)
            return self.package.attribute_class(owner, node.attr)
        if isinstance(node, ast.Call):
            built = self.callee(node.func)
            if isinstance(built, Function):
                return self._returned(built)
            return built if isinstance(built, Class) else None
        return None

    def _returned(self, function: Function) -> Class | None:
        returns = function.node.returns
        return self.package.resolve_type(function.module, returns) if returns else None

    def _annotation(self, node: ast.expr) -> Class | None:
        return self.package.resolve_type(self.function.module, node)


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _names(target: ast.expr, attr: str) -> bool:
    """Whether ``target`` is ``self.<attr>`` (or a class-level ``<attr>``)."""
    if isinstance(target, ast.Name):
        return target.id == attr
    return isinstance(target, ast.Attribute) and target.attr == attr and _dotted(target.value)


def trace(package: Package, layers: Layers, entry: str, parameter: str) -> Trace:
    """Follow ``parameter`` of the function ``entry`` (dotted) through the package's calls."""
    start = package.lookup(entry)
    if not isinstance(start, Function):
        raise LookupError(f"no function {entry} in the package")
    if parameter not in {a.arg for a in ast.walk(start.node.args) if isinstance(a, ast.arg)}:
        raise LookupError(f"{entry} has no parameter {parameter!r}")
    attrs: set[tuple[str, str]] = set()
    for _ in range(20):  # until no new attribute is found to carry the value
        tracer = _Tracer(package, layers, attrs)
        tracer.enter(start, frozenset({parameter}))
        if not tracer.grew:
            break
    return Trace(entry, parameter, list(tracer.edges.values()))
