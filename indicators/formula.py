"""Safe evaluator for Algoritmo formulas (spec/targets.md §8, spec/scoring.md §5).

Users type formulas such as `(ProvStrut - OnStrut) / ProvStrut` or `Liq_Imm / PassCorr`; scoring needs their value
from the variables typed with the consuntivo. The text is tokenised, parsed by recursive descent into a small AST
and evaluated with Decimal: no `eval`, no float, bounded size, Italian error messages for the people who typed it.
Pure Python: no Django imports.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext

from perfplan.formats import number_it

MAX_CHARS = 500
MAX_TOKENS = 200

# Canonical operator for each accepted spelling.
_OPERATORS = {"+": "+", "-": "-", "*": "*", "/": "/", "×": "*", "÷": "/"}
# Characters that may appear inside a name (besides letters and digits); apostrophes let prose formulas such as
# "N. fatture scartate nell'anno / N. fatture emesse nell'anno" (RF:407) read as a ratio of two names.
_NAME_EXTRA = frozenset("_.,'")
_NUMBER_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")  # 1.250 or 1.250,5: `.` groups thousands
_NUMBER_PLAIN = re.compile(r"\d+(?:,\d+)?")  # 3140 or 0,5
_NUMBER_POINT = re.compile(r"\d+\.\d+")  # 3.5: not a thousands group, read as a decimal point (targets.md D3)

# Fixed arithmetic context: results must not depend on whatever the caller set as the thread's context.
_CONTEXT = Context(prec=28, traps=[InvalidOperation, DivisionByZero, Overflow])


class FormulaError(ValueError):
    """A formula that cannot be parsed or evaluated; `str(error)` is an Italian message for the user.

    `code` lets callers tell the cases apart without matching text: "too_long", "too_complex", "syntax",
    "invalid_number", "missing_variable", "unknown_variable", "division_by_zero", "overflow".
    """

    def __init__(self, message: str, code: str = "syntax") -> None:
        super().__init__(message)
        self.code = code


# --- AST -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    value: Decimal


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "+" or "-"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/"
    left: Expr
    right: Expr


Expr = Number | Name | Unary | Binary


# --- Tokens ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "num", "name", "op", "(", ")"
    text: str
    value: Decimal | None = None


class _NotAFormula(Exception):
    """Raised by the tokenizer on characters no formula uses: the text is prose, not a formula."""


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u2019", "'").replace("\u2212", "-")  # typographic apostrophe, minus sign
    return " ".join(text.split())  # tabs, newlines, no-break spaces → one space


def _is_name_char(char: str) -> bool:
    return char.isalpha() or char in "0123456789" or char in _NAME_EXTRA


def _dash_joins_name(text: str, index: int) -> bool:
    """`Cpers-Ind`: a `-` with a letter immediately on both sides is part of the name (targets.md §8)."""
    return 0 < index < len(text) - 1 and text[index - 1].isalpha() and text[index + 1].isalpha()


def _word_token(word: str) -> _Token:
    if _NUMBER_GROUPED.fullmatch(word) or _NUMBER_PLAIN.fullmatch(word):
        return _Token("num", word, Decimal(word.replace(".", "").replace(",", ".")))
    if _NUMBER_POINT.fullmatch(word):
        return _Token("num", word, Decimal(word))
    if any(char.isalpha() for char in word):
        return _Token("name", word)
    raise FormulaError(f"Numero non valido: «{word}».", "invalid_number")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == " ":
            index += 1
            continue
        if char in "()":
            tokens.append(_Token(char, char))
            index += 1
        elif char in _OPERATORS and not (char == "-" and _dash_joins_name(text, index)):
            tokens.append(_Token("op", _OPERATORS[char]))
            index += 1
        elif _is_name_char(char):
            end = index
            while end < len(text) and (
                _is_name_char(text[end]) or text[end] == " " or (text[end] == "-" and _dash_joins_name(text, end))
            ):
                end += 1
            tokens.append(_word_token(text[index:end].strip()))
            index = end
        else:
            raise _NotAFormula(char)
        if len(tokens) > MAX_TOKENS:
            raise FormulaError(
                f"Formula troppo complessa: al massimo {MAX_TOKENS} elementi (numeri, variabili, operatori).",
                "too_complex",
            )
    return tokens


# --- Parser ----------------------------------------------------------------------------------------------------


class _Parser:
    """expr := term (("+" | "-") term)* ; term := unary (("*" | "/") unary)* ;
    unary := ("+" | "-") unary | primary ; primary := number | name | "(" expr ")"."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse(self) -> Expr:
        expr = self.expr()
        token = self.peek()
        if token is not None:
            if token.kind == ")":
                raise FormulaError("Parentesi chiusa senza parentesi aperta.")
            raise FormulaError(f"Manca un operatore prima di «{token.text}».")
        return expr

    def expr(self) -> Expr:
        left = self.term()
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "+-":
            self.take()
            left = Binary(token.text, left, self.term())
        return left

    def term(self) -> Expr:
        left = self.unary()
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "*/":
            self.take()
            left = Binary(token.text, left, self.unary())
        return left

    def unary(self) -> Expr:
        signs: list[str] = []  # collected iteratively: a long run of signs must not exhaust the stack
        while (token := self.peek()) is not None and token.kind == "op" and token.text in "+-":
            signs.append(self.take().text)
        expr = self.primary()
        for sign in reversed(signs):
            expr = Unary(sign, expr)
        return expr

    def primary(self) -> Expr:
        token = self.peek()
        if token is None:
            raise FormulaError("Formula incompleta: manca un numero o una variabile alla fine.")
        self.take()
        if token.kind == "num":
            assert token.value is not None
            return Number(token.value)
        if token.kind == "name":
            return Name(token.text)
        if token.kind == "(":
            expr = self.expr()
            closing = self.peek()
            if closing is None:
                raise FormulaError("Parentesi aperta e mai chiusa.")
            if closing.kind != ")":
                raise FormulaError(f"Manca un operatore prima di «{closing.text}».")
            self.take()
            return expr
        if token.kind == ")":
            raise FormulaError("Parentesi chiusa senza un'espressione prima.")
        raise FormulaError(f"Operatore «{token.text}» senza un numero o una variabile dopo.")


# --- Formula ---------------------------------------------------------------------------------------------------


def _key(name: str) -> str:
    """Names match ignoring case and repeated spaces: `Patrimonio  netto` typed with a value is `Patrimonio netto`."""
    return " ".join(name.split()).casefold()


def _names(expr: Expr) -> list[str]:
    if isinstance(expr, Name):
        return [expr.name]
    if isinstance(expr, Unary):
        return _names(expr.operand)
    if isinstance(expr, Binary):
        return _names(expr.left) + _names(expr.right)
    return []


def _numerator_factors(expr: Expr) -> list[Expr]:
    """Factors multiplying the top-level expression: `100 * A / B` → [100, A]; `A / (B * 100)` → [A]."""
    if isinstance(expr, Binary) and expr.op == "*":
        return _numerator_factors(expr.left) + _numerator_factors(expr.right)
    if isinstance(expr, Binary) and expr.op == "/":
        return _numerator_factors(expr.left)
    return [expr]


def _has_division(expr: Expr) -> bool:
    if isinstance(expr, Binary):
        return expr.op == "/" or _has_division(expr.left) or _has_division(expr.right)
    if isinstance(expr, Unary):
        return _has_division(expr.operand)
    return False


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass(frozen=True)
class Formula:
    """A parsed Algoritmo. Build it with `parse_formula`."""

    text: str
    root: Expr
    variables: tuple[str, ...] = field(default=())

    @property
    def multiplies_by_100(self) -> bool:
        """True when the whole expression is multiplied by 100 (`A / B * 100`, `100 * A / B`): already a percent."""
        return any(isinstance(factor, Number) and factor.value == 100 for factor in _numerator_factors(self.root))

    @property
    def is_simple_ratio(self) -> bool:
        """A plain `A / B`: A binds to Numeratore and B to Denominatore (targets.md §8)."""
        root = self.root
        return (
            isinstance(root, Binary) and root.op == "/" and isinstance(root.left, Name) and isinstance(root.right, Name)
        )

    @property
    def has_division(self) -> bool:
        """Only a quotient is a ratio that the × 100 rule turns into a percentage (scoring.md §5)."""
        return _has_division(self.root)

    def evaluate(self, values: Mapping[str, Decimal | int]) -> Decimal:
        """The formula's value for the given variables; raises FormulaError (Italian message) when it has none."""
        lookup: dict[str, Decimal] = {}
        for name, value in values.items():
            if isinstance(value, bool) or not isinstance(value, Decimal | int):
                raise TypeError(f"Valore della variabile {name} non decimale: {value!r}")
            lookup[_key(name)] = Decimal(value)
        for name in self.variables:
            if _key(name) not in lookup:
                raise FormulaError(f"Variabile mancante: {name}", "missing_variable")
        known = {_key(name) for name in self.variables}
        for name in values:
            if _key(name) not in known:
                expected = ", ".join(self.variables) or "nessuna"
                raise FormulaError(
                    f"Variabile sconosciuta: {name} (l'algoritmo usa: {expected})",
                    "unknown_variable",
                )
        try:
            with localcontext(_CONTEXT):
                return self._evaluate(self.root, lookup)
        except (Overflow, InvalidOperation) as error:
            raise FormulaError("Risultato non calcolabile: numeri fuori scala.", "overflow") from error

    def _evaluate(self, expr: Expr, lookup: dict[str, Decimal]) -> Decimal:
        if isinstance(expr, Number):
            return expr.value
        if isinstance(expr, Name):
            return lookup[_key(expr.name)]
        if isinstance(expr, Unary):
            operand = self._evaluate(expr.operand, lookup)
            return -operand if expr.op == "-" else operand
        left = self._evaluate(expr.left, lookup)
        right = self._evaluate(expr.right, lookup)
        if expr.op == "+":
            return left + right
        if expr.op == "-":
            return left - right
        if expr.op == "*":
            return left * right
        if right == 0:
            raise FormulaError("Divisione per zero", "division_by_zero")
        return left / right

    def render(self, values: Mapping[str, Decimal] | None = None) -> str:
        """The formula as text, optionally with the values in place of the names ("Valori misure", relazione 3.1)."""
        lookup = {_key(name): value for name, value in (values or {}).items()}
        return self._render(self.root, lookup, 0)

    def _render(self, expr: Expr, lookup: dict[str, Decimal], parent_precedence: int, right_side: bool = False) -> str:
        if isinstance(expr, Number):
            return number_it(expr.value)
        if isinstance(expr, Name):
            value = lookup.get(_key(expr.name))
            return expr.name if value is None else number_it(value)
        if isinstance(expr, Unary):
            return expr.op + self._render(expr.operand, lookup, 3)
        precedence = _PRECEDENCE[expr.op]
        left = self._render(expr.left, lookup, precedence)
        right = self._render(expr.right, lookup, precedence, right_side=True)
        text = f"{left} {expr.op} {right}"
        if precedence < parent_precedence or (right_side and precedence == parent_precedence):
            return f"({text})"
        return text


def parse_formula(text: str) -> Formula | None:
    """Parse an Algoritmo; None when the text is not a formula (no operator, or prose such as `vedi integra 20%`).

    A single name (`RitPagamenti`) is not a formula either: the value is entered directly (see `single_name`).
    Raises FormulaError for text that looks like a formula but is malformed or too large (> 500 characters or
    > 200 tokens), so that a form can say what is wrong.
    """
    if len(text) > MAX_CHARS:
        raise FormulaError(f"Formula troppo lunga: al massimo {MAX_CHARS} caratteri.", "too_long")
    normalised = _normalise(text)
    if not normalised:
        return None
    try:
        tokens = _tokenize(normalised)
    except _NotAFormula:
        return None
    if not any(token.kind == "op" for token in tokens):
        return None
    root = _Parser(tokens).parse()
    variables: dict[str, str] = {}
    for name in _names(root):
        variables.setdefault(_key(name), name)
    return Formula(text=normalised, root=root, variables=tuple(variables.values()))


def single_name(text: str) -> str | None:
    """The name when the Algoritmo is one name only (`RitPagamenti`): its value is entered directly."""
    normalised = _normalise(text)
    if not normalised or len(normalised) > MAX_CHARS:
        return None
    try:
        tokens = _tokenize(normalised)
    except (_NotAFormula, FormulaError):
        return None
    if len(tokens) == 1 and tokens[0].kind == "name":
        return tokens[0].text
    return None
