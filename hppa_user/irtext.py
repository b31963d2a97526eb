"""A small LLVM IR builder that writes text directly, for compiled regions.

llvmlite's ``ir`` package builds an object per instruction (names registered in scopes,
operands type-checked) and formats the whole module afterwards; for the region compiler,
which builds thousands of instructions per region on every compilation, that Python work
cost as much as LLVM itself.  This builder offers the part of ``llvmlite.ir.IRBuilder``'s
interface the semantics and the region emitter use, with llvmlite's *types* and integer
constants as operands, but each instruction is one formatted line appended to its block.
The core (built once and cached) keeps using llvmlite's builder.
"""
from __future__ import annotations

from llvmlite import ir

PTR = ir.PointerType()


class Value:
    """An SSA value: its type and how it is written (``%v12``, ``%a3``, ``@g``)."""
    __slots__ = ("type", "ref", "fnty")

    def __init__(self, type_, ref: str, fnty=None):
        self.type, self.ref, self.fnty = type_, ref, fnty


def ref(x) -> str:
    if isinstance(x, Value):
        return x.ref
    if isinstance(x, ir.Constant):
        c = x.constant
        if c is None:
            return "null" if isinstance(x.type, ir.PointerType) else "zeroinitializer"
        if isinstance(x.type, ir.IntType):
            if x.type.width == 1:
                return "true" if c else "false"
            c &= (1 << x.type.width) - 1
            return str(c - (1 << x.type.width) if c >> (x.type.width - 1) else c)
        return str(x)
    if isinstance(x, Block):
        return f"%{x.name}"
    raise TypeError(f"not an IR value: {x!r}")


def typed(x) -> str:
    return f"{x.type} {ref(x)}"


class Block:
    """``succ``: the blocks its terminator may go to (None until it has one)."""
    __slots__ = ("name", "lines", "function", "succ")

    def __init__(self, function: "Function", name: str):
        self.function, self.name, self.lines, self.succ = function, name, [], None


class Function:
    def __init__(self, module: "Module", fnty: ir.FunctionType, name: str,
                 cconv: str = "", ptr_attrs: str = ""):
        """``ptr_attrs``: attributes of every pointer parameter (e.g. " noalias")."""
        self.module, self.fnty, self.name = module, fnty, name
        self.cconv, self.ptr_attrs = cconv, ptr_attrs
        self.args = [Value(t, f"%a{i}") for i, t in enumerate(fnty.args)]
        self.blocks: list[Block] = []
        self._n = 0
        module.functions.append(self)

    def append_basic_block(self, name: str = "b") -> Block:
        self._n += 1
        blk = Block(self, f"{name}{self._n}")
        self.blocks.append(blk)
        return blk

    def new_name(self) -> str:
        self._n += 1
        return f"%v{self._n}"

    def text(self) -> str:
        params = ", ".join(f"{t}{self.ptr_attrs if isinstance(t, ir.PointerType) else ''} %a{i}"
                           for i, t in enumerate(self.fnty.args))
        cc = f"{self.cconv} " if self.cconv else ""
        out = [f"define {cc}{self.fnty.return_type} @{self.name}({params}) {{"]
        for blk in self.blocks:
            out.append(f"{blk.name}:")
            out.extend(blk.lines)
        out.append("}")
        return "\n".join(out)


class Global(Value):
    """A zero-initialised global, or (``data``) a constant byte string."""
    __slots__ = ("value_type", "name", "data")

    def __init__(self, module: "Module", value_type, name: str, data: bytes | None = None):
        super().__init__(PTR, f"@{name}")
        self.value_type, self.name, self.data = value_type, name, data
        if data is not None:
            self.value_type = ir.ArrayType(ir.IntType(8), len(data))
        module.globals.append(self)

    def text(self) -> str:
        if self.data is not None:
            chars = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else f"\\{c:02X}"
                            for c in self.data)
            return f'@{self.name} = constant {self.value_type} c"{chars}"'
        return f"@{self.name} = global {self.value_type} zeroinitializer, align 8"


class Module:
    def __init__(self):
        self.functions: list[Function] = []
        self.globals: list[Global] = []
        self.declares: dict[str, str] = {}

    def declare_intrinsic(self, name: str, types) -> Value:
        """A one-operand intrinsic of ``types[0]`` (llvm.bswap, llvm.sqrt, llvm.rint)."""
        ty = types[0]
        mangled = {"double": "f64", "float": "f32"}.get(str(ty), str(ty))
        full = f"{name}.{mangled}"
        if full not in self.declares:
            self.declares[full] = f"declare {ty} @{full}({ty})"
        return Value(ir.FunctionType(ty, [ty]), f"@{full}", ir.FunctionType(ty, [ty]))

    def declare(self, name: str, fnty: ir.FunctionType) -> Value:
        """A function known by name (e.g. llvm.readcyclecounter, which has no operand)."""
        if name not in self.declares:
            self.declares[name] = f"declare {fnty.return_type} @{name}({', '.join(map(str, fnty.args))})"
        return Value(fnty, f"@{name}", fnty)

    def __str__(self) -> str:
        parts = [g.text() for g in self.globals] + list(self.declares.values())
        parts += [f.text() for f in self.functions]
        return "\n".join(parts) + "\n"


_I1 = ir.IntType(1)


class IRBuilder:
    """The llvmlite IRBuilder methods the semantics and the region emitter call."""

    def __init__(self, block: Block | None = None):
        self.block = block

    @property
    def function(self) -> Function:
        return self.block.function

    @property
    def module(self) -> Module:
        return self.block.function.module

    def position_at_end(self, block: Block) -> None:
        self.block = block

    def _emit(self, type_, text: str) -> Value:
        name = self.block.function.new_name()
        self.block.lines.append(f"  {name} = {text}")
        return Value(type_, name)

    def _line(self, text: str) -> None:
        self.block.lines.append("  " + text)

    # -- arithmetic ------------------------------------------------------------------------
    def _bin(op):
        def f(self, a, b, name=""):
            return self._emit(a.type, f"{op} {typed(a)}, {ref(b)}")
        return f

    add, sub, mul = _bin("add"), _bin("sub"), _bin("mul")
    fadd, fsub, fmul, fdiv = _bin("fadd"), _bin("fsub"), _bin("fmul"), _bin("fdiv")
    and_, or_, xor = _bin("and"), _bin("or"), _bin("xor")
    shl, lshr, ashr = _bin("shl"), _bin("lshr"), _bin("ashr")
    del _bin

    def not_(self, a, name=""):
        return self._emit(a.type, f"xor {typed(a)}, -1" if a.type != _I1 else f"xor i1 {ref(a)}, true")

    _PRED = {"==": "eq", "!=": "ne"}

    def icmp_unsigned(self, op, a, b, name=""):
        p = self._PRED.get(op) or {"<": "ult", "<=": "ule", ">": "ugt", ">=": "uge"}[op]
        return self._emit(_I1, f"icmp {p} {typed(a)}, {ref(b)}")

    def icmp_signed(self, op, a, b, name=""):
        p = self._PRED.get(op) or {"<": "slt", "<=": "sle", ">": "sgt", ">=": "sge"}[op]
        return self._emit(_I1, f"icmp {p} {typed(a)}, {ref(b)}")

    def fcmp_ordered(self, op, a, b, name=""):
        p = {"==": "oeq", "!=": "one", "<": "olt", "<=": "ole", ">": "ogt", ">=": "oge"}[op]
        return self._emit(_I1, f"fcmp {p} {typed(a)}, {ref(b)}")

    def select(self, c, a, b, name=""):
        return self._emit(a.type, f"select i1 {ref(c)}, {typed(a)}, {typed(b)}")

    def _cast(op):
        def f(self, a, ty, name=""):
            return self._emit(ty, f"{op} {typed(a)} to {ty}")
        return f

    zext, sext, trunc, bitcast = _cast("zext"), _cast("sext"), _cast("trunc"), _cast("bitcast")
    ptrtoint, uitofp, fptosi = _cast("ptrtoint"), _cast("uitofp"), _cast("fptosi")
    del _cast

    def inttoptr(self, a, ty=PTR, name="", fnty=None):
        """``fnty``: the pointer is a function of that type (for call())."""
        v = self._emit(PTR, f"inttoptr {typed(a)} to ptr")
        v.fnty = fnty
        return v

    # -- memory ----------------------------------------------------------------------------
    def alloca(self, ty, name=""):
        return self._emit(PTR, f"alloca {ty}")

    def load(self, ptr, name="", typ=None, align=None):
        al = f", align {align}" if align else ""
        return self._emit(typ, f"load {typ}, ptr {ref(ptr)}{al}")

    def store(self, value, ptr, align=None):
        al = f", align {align}" if align else ""
        self._line(f"store {typed(value)}, ptr {ref(ptr)}{al}")

    def gep(self, ptr, indices, source_etype=None, inbounds=False, name=""):
        idx = ", ".join(typed(i) for i in indices)
        ety = source_etype if source_etype is not None else ptr.value_type
        return self._emit(PTR, f"getelementptr {ety}, ptr {ref(ptr)}, {idx}")

    # -- control flow ----------------------------------------------------------------------
    def branch(self, target: Block):
        self._line(f"br label %{target.name}")
        self.block.succ = (target,)

    def cbranch(self, cond, t: Block, f: Block):
        self._line(f"br i1 {ref(cond)}, label %{t.name}, label %{f.name}")
        self.block.succ = (t, f)

    def switch(self, value, default: Block, cases):
        """``cases``: (constant, block) pairs; none: a branch to ``default``."""
        if not cases:
            return self.branch(default)
        arms = " ".join(f"{typed(c)}, label %{blk.name}" for c, blk in cases)
        self._line(f"switch {typed(value)}, label %{default.name} [ {arms} ]")
        self.block.succ = (default, *(blk for _c, blk in cases))

    def ret(self, v):
        self._line(f"ret {typed(v)}")
        self.block.succ = ()

    def unreachable(self):
        self._line("unreachable")
        self.block.succ = ()

    def phi(self, ty, name=""):
        return Phi(self, ty)

    def call(self, fn, args, name="", cconv=None, tail=None, fastmath=(), attrs=None):
        fnty = fn.fnty
        cc = f"{cconv} " if cconv else ""
        tl = f"{tail} " if tail else ""
        a = ", ".join(typed(x) for x in args)
        text = f"{tl}call {cc}{fnty.return_type} {ref(fn)}({a})"
        if isinstance(fnty.return_type, ir.VoidType):
            self._line(text)
            return None
        return self._emit(fnty.return_type, text)


class Phi(Value):
    """A phi whose incoming edges may be added after later instructions were built: its
    line is rewritten in place."""
    __slots__ = ("block", "index", "incoming")

    def __init__(self, b: IRBuilder, ty):
        name = b.block.function.new_name()
        super().__init__(ty, name)
        self.block = b.block
        self.index = len(b.block.lines)
        self.incoming: list[str] = []
        b.block.lines.append("")

    def add_incoming(self, value, block: Block):
        self.incoming.append(f"[{ref(value)}, %{block.name}]")
        self.block.lines[self.index] = f"  {self.ref} = phi {self.type} " + ", ".join(self.incoming)
