"""The static skeleton: honest facts from one parse, for every supported language."""

from __future__ import annotations

import re

import pytest

from specgen_action.chunking import chunk_source
from specgen_action.parsing import language_for, parse
from specgen_action.providers.base import ChunkRequest, Provider
from specgen_action.providers.static import StaticProvider
from specgen_action.skeleton import build_skeleton
from specgen_action.source import Source
from specgen_action.specs.model import ChunkAnalysis, FileSpec
from tests.conftest import CLI, GitRepo

PYTHON = '''\
#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Client for the widget service.

More details here.
"""

from __future__ import annotations

import os.path as osp, sys
from . import errors, util
from ..pkg.sub import thing
from collections import (
    OrderedDict,  # ordered
)

__all__ = ["Client", "connect", "DEFAULT_TIMEOUT", "Alias"]

DEFAULT_TIMEOUT: float = 3.0
"""Seconds before a call gives up."""

Alias: TypeAlias = "dict[str, int]"
_private = 1
hidden = 2


def connect(
    host: str,  # the host
    port: int = 80,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    label: str = "a  (b)",
) -> "Client":
    """Open a connection.

    Raises ValueError on a bad port.
    """
    if port < 0:
        raise ValueError("bad port")
    raise errors.ConnectError(host) from None


@dataclass(frozen=True)
class Client(Base, metaclass=Meta):
    """A connected client."""

    host: str
    """The host name."""
    port: int = 80
    _secret: str = ""

    def __init__(self, host: str) -> None:
        self.host = host

    @property
    def address(self) -> str:
        """Host and port."""
        return f"{self.host}:{self.port}"

    async def send(self, data: bytes) -> int:
        """Send bytes."""
        raise NotImplementedError

    def _internal(self):
        raise RuntimeError

    def __repr__(self):
        return "Client"

    class Options:
        """Options."""

        def get(self): ...


class _Hidden:
    def visible(self): ...


def ünïcode_näme(x):
    """Non-ASCII identifiers work."""
    raise exc


if __name__ == "__main__":
    connect("x")
'''

PYTHON_PLAIN = '''\
# Helpers for reading configuration files.
#
# Second paragraph.

import json

try:
    import tomllib
except ImportError:  # pragma: no cover
    def load(path):
        """Fallback loader."""
        raise RuntimeError("no tomllib")
else:
    def load(path):
        """Load with tomllib."""
        return tomllib.load(path)

__all__ = [name for name in dir() if not name.startswith("_")]


def _private():
    pass


class Config:
    def get(self, key, default=None):  # a trailing comment
        raise KeyError(key)

    def _hidden(self):
        pass


async def fetch(url,  # where
                retries=3):
    raise
'''

TYPESCRIPT = """\
// Copyright 2024 Example Corp. Licensed under MIT.

/**
 * @fileoverview Widget helpers for the dashboard.
 */

import { readFile } from "fs/promises";
import * as path from 'node:path';
export * from "./types";

/**
 * Parse a widget.
 * @param text the source
 */
export function parseWidget<T>(text: string, opts?: Options): T {
  if (!text) throw new TypeError("empty");
  throw new errors.ParseError(text);
}

/** The default size. */
export const DEFAULT_SIZE = 10;

// Builds a widget.
export const build = async (name: string): Promise<Widget> => {
  return { name };
};

let internal = 1;
function helper() {}

export { helper as publicHelper };

/** A widget. */
@Component({ selector: "w" })
export class Widget extends Base implements Sized {
  /** The name. */
  name: string;
  private secret = 1;
  protected guarded = 2;
  #hidden = 3;
  _conventional = 4;

  constructor(name: string) {
    super();
  }

  /** Area in px. */
  get area(): number { return 1; }

  @memo()
  render(ctx: Context): void {}

  static create(): Widget { return new Widget("x"); }
}

export interface Sized {
  /** Size in px. */
  size(): number;
  readonly label?: string;
}

export type Size = "s" | "m" | "l";

export enum Color { Red = "r", Green }

export default class {
  run() {}
}
"""

COMMONJS = """\
'use strict';
const fs = require('fs');
/** Add two numbers. */
function add(a, b) { return a + b; }
function _private() {}
class Store { get(key) { throw new Error('x'); } }
module.exports = { add, Store };
exports.version = '1.0';
"""

SCRIPT = """\
// A browser script that greets.
function greet(name) { alert(name); }
var counter = 0;
"""

GO = """\
// Copyright 2024 The Authors. All rights reserved.

//go:build linux

// Package server serves widgets over HTTP.
//
// More text.
package server

import (
	"fmt"
	nethttp "net/http"
)

// MaxConns is the connection cap.
const MaxConns = 10

const (
	// ModeA is mode A.
	ModeA Mode = iota
	modeB
)

var ErrClosed = errors.New("closed")

// Server serves.
type Server[T any] struct {
	// Addr is the address.
	Addr string `json:"addr"`
	port int
	Name, Alias string
}

// Handler handles.
type Handler interface {
	// Serve serves one request.
	Serve(w Writer, r *Request) error
	private()
}

type Mode int

// Start starts the server.
func (s *Server[T]) Start(ctx context.Context) (err error) {
	panic("not yet")
}

func (s *Server[T]) stop() {}

// New makes a Server.
func New[T any](addr string,
	opts ...Option) *Server[T] {
	return nil
}

func helper() {}

func main() {}
"""

RUST = """\
//! Widget storage.
//!
//! Details.

use std::collections::{HashMap, HashSet};
use crate::error::Error as E;
use std::io::*;
extern crate serde;

/// A stored widget.
#[derive(Debug, Clone)]
pub struct Widget<'a> {
    /// Its name.
    pub name: &'a str,
    size: u32,
}

pub(crate) struct Hidden;

/// Errors.
pub enum StoreError { NotFound, Io(std::io::Error) }

/// Store behaviour.
pub trait Store {
    /// Get one.
    fn get(&self, key: &str) -> Option<Widget<'_>>;
    fn len(&self) -> usize { 0 }
}

impl<'a> Widget<'a> {
    /// Make one.
    pub fn new(name: &'a str) -> Self {
        if name.is_empty() { panic!("empty"); }
        Widget { name, size: 0 }
    }
    fn private(&self) {}
}

impl Store for Widget<'_> { fn get(&self, key: &str) -> Option<Widget<'_>> { None } }

pub const MAX: u32 = 10;
pub type Result<T> = std::result::Result<T, StoreError>;

pub fn load<P: AsRef<str>>(path: P) -> Result<Widget<'static>>
where
    P: Clone,
{
    Err(StoreError::NotFound)
}

fn main() { unreachable!() }
"""

JAVA = """\
/*
 * Copyright (c) 2024 Example. Licensed under Apache 2.0.
 */
package com.example.widgets;

import java.util.List;
import java.io.*;
import static java.lang.Math.max;

/**
 * A widget on the dashboard.
 *
 * @author someone
 */
@Deprecated
public final class Widget<T> extends Base implements Sized {
    /** Largest size. */
    public static final int MAX = 10;
    public String label;
    private int secret;

    /** Make a widget. */
    public Widget(String label) throws IOException {
        if (label == null) throw new IllegalArgumentException("label");
        this.label = label;
    }

    /**
     * Render it.
     * @param g graphics
     */
    @Override
    public <U> List<U> render(Graphics g, U... extra) throws java.io.IOException {
        throw new UnsupportedOperationException();
    }

    void packagePrivate() {}

    public static void main(String[] args) {}

    public interface Listener { void changed(Widget w); int ZERO = 0; }

    public enum Kind { SMALL, LARGE; public int px() { return 1; } }
}

class Hidden {}
"""


def skeleton(text: str, path: str) -> FileSpec:
    return build_skeleton(Source(path, text, "0" * 64, language_for(path)))


def table(spec: FileSpec) -> list[tuple[str, str, str, int, int]]:
    return [(s.name, s.kind, s.signature, s.line_start, s.line_end) for s in spec.symbols]


def descriptions(spec: FileSpec) -> dict[str, str]:
    return {s.name: s.description for s in spec.symbols if s.description}


def test_python() -> None:
    """A Python module's skeleton lists its public API with signatures, docs and lines."""
    spec = skeleton(PYTHON, "pkg/mod.py")
    assert spec.source == "pkg/mod.py"
    assert spec.language == "python"
    assert spec.purpose == "Client for the widget service."
    # __all__ decides: `hidden` and `ünïcode_näme` are not listed, `_private` neither.
    assert table(spec) == [
        ("DEFAULT_TIMEOUT", "constant", "DEFAULT_TIMEOUT: float = 3.0", 19, 19),
        ("Alias", "type", 'Alias: TypeAlias = "dict[str, int]"', 22, 22),
        (
            "connect",
            "function",
            "def connect(\n"
            "    host: str,\n"
            "    port: int = 80,\n"
            "    *,\n"
            "    timeout: float = DEFAULT_TIMEOUT,\n"
            '    label: str = "a  (b)",\n'
            ') -> "Client"',
            27,
            40,
        ),
        ("Client", "class", "@dataclass(frozen=True)\nclass Client(Base, metaclass=Meta)", 43, 73),
        ("Client.host", "attribute", "host: str", 47, 47),
        ("Client.port", "attribute", "port: int = 80", 49, 49),
        ("Client.__init__", "method", "def __init__(self, host: str) -> None", 52, 53),
        ("Client.address", "property", "@property\ndef address(self) -> str", 55, 58),
        ("Client.send", "method", "async def send(self, data: bytes) -> int", 60, 62),
        ("Client.__repr__", "method", "def __repr__(self)", 67, 68),
        ("Client.Options", "class", "class Options", 70, 73),
        ("Client.Options.get", "method", "def get(self)", 73, 73),
    ]
    assert descriptions(spec) == {
        "DEFAULT_TIMEOUT": "Seconds before a call gives up.",
        "connect": "Open a connection.",
        "Client": "A connected client.",
        "Client.host": "The host name.",
        "Client.address": "Host and port.",
        "Client.send": "Send bytes.",
        "Client.Options": "Options.",
    }
    connect = spec.symbols[2]
    assert connect.docstring == "Open a connection.\n\nRaises ValueError on a bad port."
    assert spec.dependencies == [
        "__future__",
        "os.path",
        "sys",
        ".errors",
        ".util",
        "..pkg.sub",
        "collections",
    ]
    # `raise exc` (a variable) and a bare `raise` name no exception type.
    assert spec.raises == [
        "ValueError",
        "errors.ConnectError",
        "NotImplementedError",
        "RuntimeError",
    ]
    assert spec.behaviour == [
        "Executable script (`#!/usr/bin/env python3`).",
        'Runs as a script (`if __name__ == "__main__"`).',
    ]
    assert spec.edge_cases == []


def test_python_without_literal_all() -> None:
    """Without a literal `__all__`, the underscore rule decides what is public."""
    spec = skeleton(PYTHON_PLAIN, "plain.py")
    # A leading comment block is the purpose when there is no docstring.
    assert spec.purpose == "Helpers for reading configuration files."
    # A computed __all__ falls back to the underscore rule; definitions inside
    # top-level try/except count, the first one wins.
    assert table(spec) == [
        ("load", "function", "def load(path)", 10, 12),
        ("Config", "class", "class Config", 25, 30),
        ("Config.get", "method", "def get(self, key, default=None)", 26, 27),
        ("fetch", "function", "async def fetch(url,\n                retries=3)", 33, 35),
    ]
    assert spec.dependencies == ["json", "tomllib"]
    assert spec.raises == ["RuntimeError", "KeyError"]
    assert spec.behaviour == []


def test_typescript() -> None:
    """A TypeScript module's skeleton lists what it exports, with signatures and lines."""
    spec = skeleton(TYPESCRIPT, "src/lib.ts")
    assert spec.purpose == "Widget helpers for the dashboard."
    assert table(spec) == [
        ('* from "./types"', "re-export", 'export * from "./types"', 9, 9),
        (
            "parseWidget",
            "function",
            "export function parseWidget<T>(text: string, opts?: Options): T",
            15,
            18,
        ),
        ("DEFAULT_SIZE", "constant", "export const DEFAULT_SIZE = 10", 21, 21),
        (
            "build",
            "function",
            "export const build = async (name: string): Promise<Widget> =>",
            24,
            26,
        ),
        # Exported as `export { helper as publicHelper }`: listed under that name.
        ("publicHelper", "function", "function helper()", 29, 29),
        (
            "Widget",
            "class",
            '@Component({ selector: "w" })\nexport class Widget extends Base implements Sized',
            34,
            54,
        ),
        ("Widget.name", "attribute", "name: string", 37, 37),
        # Protected is API to subclasses; private, #private and _conventional are not.
        ("Widget.guarded", "attribute", "protected guarded = 2", 39, 39),
        ("Widget.constructor", "method", "constructor(name: string)", 43, 45),
        ("Widget.area", "property", "get area(): number", 48, 48),
        ("Widget.render", "method", "render(ctx: Context): void", 51, 51),
        ("Widget.create", "method", "static create(): Widget", 53, 53),
        ("Sized", "interface", "export interface Sized", 56, 60),
        ("Sized.size", "method", "size(): number", 58, 58),
        ("Sized.label", "attribute", "readonly label?: string", 59, 59),
        ("Size", "type", 'export type Size = "s" | "m" | "l"', 62, 62),
        ("Color", "enum", "export enum Color", 64, 64),
        ("Color.Red", "constant", 'Red = "r"', 64, 64),
        ("Color.Green", "constant", "Green", 64, 64),
        ("default", "class", "export default class", 66, 68),
        ("default.run", "method", "run()", 67, 67),
    ]
    assert descriptions(spec) == {
        "parseWidget": "Parse a widget.",
        "DEFAULT_SIZE": "The default size.",
        "build": "Builds a widget.",
        "Widget": "A widget.",
        "Widget.name": "The name.",
        "Widget.area": "Area in px.",
        "Sized.size": "Size in px.",
    }
    assert spec.symbols[1].docstring == "Parse a widget.\n@param text the source"
    assert spec.dependencies == ["fs/promises", "node:path", "./types"]
    assert spec.raises == ["TypeError", "errors.ParseError"]


def test_tsx_and_javascript_share_the_rules() -> None:
    """TSX and JavaScript follow the TypeScript rules."""
    tsx = "/** A button. */\nexport const Button = (p: Props) => <button>{p.label}</button>;\n"
    spec = skeleton(tsx, "Button.tsx")
    assert table(spec) == [
        ("Button", "function", "export const Button = (p: Props) =>", 2, 2),
    ]
    assert spec.purpose == "A button."  # the only definition's documentation


def test_commonjs() -> None:
    """A CommonJS module's exports are its public API."""
    spec = skeleton(COMMONJS, "app.js")
    assert table(spec) == [
        ("add", "function", "function add(a, b)", 4, 4),
        ("Store", "class", "class Store", 6, 6),
        ("Store.get", "method", "get(key)", 6, 6),
        ("version", "value", "exports.version = '1.0'", 8, 8),
    ]
    assert spec.dependencies == ["fs"]
    assert spec.raises == ["Error"]
    assert spec.purpose == "JavaScript file defining add, Store, version."


def test_commonjs_forms() -> None:
    """Every CommonJS export form is recognised."""
    whole = "/** Main entry. */\nmodule.exports = (options, time) => {\n  return 1;\n};\n"
    spec = skeleton(whole, "main.js")
    assert table(spec) == [
        ("module.exports", "function", "module.exports = (options, time) =>", 2, 4)
    ]
    assert spec.purpose == "Main entry."
    inline = (
        "const util = require('util');\n"
        "module.exports = {\n"
        "  /** Parse it. */\n"
        "  parse: function (text) { return text; },\n"
        "  format(value, opts) { return String(value); },\n"
        "  kName: Symbol('name'),\n"
        "  util,\n"
        "};\n"
    )
    assert table(skeleton(inline, "inline.js")) == [
        ("util", "constant", "const util = require('util')", 1, 1),
        ("parse", "function", "parse: function (text)", 4, 4),
        ("format", "function", "format(value, opts)", 5, 5),
        ("kName", "value", "kName: Symbol('name')", 6, 6),
    ]
    compiled = (
        '"use strict";\n'
        'Object.defineProperty(exports, "__esModule", { value: true });\n'
        "exports.parse = exports.format = void 0;\n"
        "/** Parses. */\n"
        "function parse(text) { return text; }\n"
        "exports.parse = parse;\n"
        "const format = (v) => String(v);\n"
        "exports.format = format;\n"
        "exports.helper = function helper(a) {};\n"
        "function internal() {}\n"
    )
    assert table(skeleton(compiled, "compiled.js")) == [
        ("parse", "function", "function parse(text)", 5, 5),
        ("format", "function", "const format = (v) =>", 7, 7),
        ("helper", "function", "exports.helper = function helper(a)", 9, 9),
    ]


def test_a_script_without_exports_exposes_its_top_level() -> None:
    """A script without exports lists its top-level definitions."""
    spec = skeleton(SCRIPT, "script.js")
    assert table(spec) == [
        ("greet", "function", "function greet(name)", 2, 2),
        ("counter", "variable", "var counter = 0", 3, 3),
    ]
    assert descriptions(spec) == {"greet": "A browser script that greets."}


def test_go() -> None:
    """A Go file lists its exported identifiers with their docs; the licence is not the purpose."""
    spec = skeleton(GO, "server/server.go")
    # Licence and build-constraint blocks are not the purpose; the package doc is.
    assert spec.purpose == "Package server serves widgets over HTTP."
    assert table(spec) == [
        ("MaxConns", "constant", "const MaxConns = 10", 16, 16),
        ("ModeA", "constant", "ModeA Mode = iota", 20, 20),
        ("ErrClosed", "variable", 'var ErrClosed = errors.New("closed")', 24, 24),
        ("Server", "struct", "type Server[T any] struct", 27, 32),
        ("Server.Addr", "field", 'Addr string `json:"addr"`', 29, 29),
        ("Server.Name", "field", "Name, Alias string", 31, 31),
        ("Server.Alias", "field", "Name, Alias string", 31, 31),
        ("Handler", "interface", "type Handler interface", 35, 39),
        ("Handler.Serve", "method", "Serve(w Writer, r *Request) error", 37, 37),
        ("Mode", "type", "type Mode int", 41, 41),
        (
            "Server.Start",
            "method",
            "func (s *Server[T]) Start(ctx context.Context) (err error)",
            44,
            46,
        ),
        ("New", "function", "func New[T any](addr string,\n\topts ...Option) *Server[T]", 51, 54),
    ]
    assert descriptions(spec) == {
        "MaxConns": "MaxConns is the connection cap.",
        "ModeA": "ModeA is mode A.",
        "Server": "Server serves.",
        "Server.Addr": "Addr is the address.",
        "Handler": "Handler handles.",
        "Handler.Serve": "Serve serves one request.",
        "Server.Start": "Start starts the server.",
        "New": "New makes a Server.",
    }
    assert spec.dependencies == ["fmt", "net/http"]
    assert spec.raises == ["panic"]
    assert spec.behaviour == []  # func main outside package main is not a program


def test_go_main_package() -> None:
    """A `package main` file says it runs as a program and lists nothing."""
    spec = skeleton("package main\n\nfunc main() {}\n", "cmd/main.go")
    assert spec.behaviour == ["Runs as a program (`func main` in package main)."]
    assert spec.symbols == []
    assert spec.purpose == "Go file with no public symbols."


def test_rust() -> None:
    """A Rust file lists its `pub` items with their signatures."""
    spec = skeleton(RUST, "src/lib.rs")
    assert spec.purpose == "Widget storage."
    assert table(spec) == [
        ("Widget", "struct", "pub struct Widget<'a>", 12, 16),
        ("Widget.name", "field", "pub name: &'a str", 14, 14),
        ("StoreError", "enum", "pub enum StoreError", 21, 21),
        ("StoreError.NotFound", "variant", "NotFound", 21, 21),
        ("StoreError.Io", "variant", "Io(std::io::Error)", 21, 21),
        ("Store", "trait", "pub trait Store", 24, 28),
        ("Store.get", "method", "fn get(&self, key: &str) -> Option<Widget<'_>>", 26, 26),
        ("Store.len", "method", "fn len(&self) -> usize", 27, 27),
        ("Widget.new", "method", "pub fn new(name: &'a str) -> Self", 32, 35),
        ("MAX", "constant", "pub const MAX: u32 = 10", 41, 41),
        ("Result", "type", "pub type Result<T> = std::result::Result<T, StoreError>", 42, 42),
        (
            "load",
            "function",
            "pub fn load<P: AsRef<str>>(path: P) -> Result<Widget<'static>>\nwhere\n    P: Clone",
            44,
            49,
        ),
    ]
    assert descriptions(spec) == {
        "Widget": "A stored widget.",
        "Widget.name": "Its name.",
        "StoreError": "Errors.",
        "Store": "Store behaviour.",
        "Store.get": "Get one.",
        "Widget.new": "Make one.",
    }
    assert spec.dependencies == ["std::collections", "crate::error::Error", "std::io", "serde"]
    assert spec.raises == ["panic!", "StoreError::NotFound", "unreachable!"]
    assert spec.behaviour == ["Runs as a program (`fn main`)."]


def test_java() -> None:
    """A Java file lists the public and protected members of its public types."""
    spec = skeleton(JAVA, "src/com/example/widgets/Widget.java")
    # The licence header is skipped; the only public type's Javadoc is the purpose.
    assert spec.purpose == "A widget on the dashboard."
    assert table(spec) == [
        (
            "Widget",
            "class",
            "@Deprecated\npublic final class Widget<T> extends Base implements Sized",
            15,
            44,
        ),
        ("Widget.MAX", "constant", "public static final int MAX = 10", 18, 18),
        ("Widget.label", "field", "public String label", 19, 19),
        ("Widget.Widget", "constructor", "public Widget(String label) throws IOException", 23, 26),
        (
            "Widget.render",
            "method",
            "@Override\npublic <U> List<U> render(Graphics g, U... extra) "
            "throws java.io.IOException",
            32,
            35,
        ),
        ("Widget.main", "method", "public static void main(String[] args)", 39, 39),
        ("Widget.Listener", "interface", "public interface Listener", 41, 41),
        ("Widget.Listener.changed", "method", "void changed(Widget w)", 41, 41),
        ("Widget.Listener.ZERO", "constant", "int ZERO = 0", 41, 41),
        ("Widget.Kind", "enum", "public enum Kind", 43, 43),
        ("Widget.Kind.SMALL", "constant", "SMALL", 43, 43),
        ("Widget.Kind.LARGE", "constant", "LARGE", 43, 43),
        ("Widget.Kind.px", "method", "public int px()", 43, 43),
    ]
    assert descriptions(spec) == {
        "Widget": "A widget on the dashboard.",
        "Widget.MAX": "Largest size.",
        "Widget.Widget": "Make a widget.",
        "Widget.render": "Render it.",
    }
    assert spec.symbols[0].docstring == "A widget on the dashboard.\n\n@author someone"
    assert spec.dependencies == ["java.util.List", "java.io", "java.lang.Math.max"]
    assert spec.raises == ["IllegalArgumentException", "UnsupportedOperationException"]
    assert spec.behaviour == ["Runs as a program (`public static void main`)."]


ALL_SAMPLES = [
    (PYTHON, "mod.py"),
    (PYTHON_PLAIN, "plain.py"),
    (TYPESCRIPT, "lib.ts"),
    (COMMONJS, "app.js"),
    (SCRIPT, "script.js"),
    (GO, "server.go"),
    (RUST, "lib.rs"),
    (JAVA, "Widget.java"),
]


@pytest.mark.parametrize(("text", "path"), ALL_SAMPLES)
def test_signatures_come_from_the_source(text: str, path: str) -> None:
    """Every signature is text of the source itself, comments aside."""
    without_comments = re.sub(r"(#|//).*", "", text)
    flat = "".join(without_comments.split())
    for symbol in skeleton(text, path).symbols:
        if symbol.kind == "re-export":  # one name of a statement that may list several
            continue
        assert "".join(symbol.signature.split()) in flat, symbol.signature
        # Laid out as in the source: dedented, no blank or trailing-space lines.
        lines = symbol.signature.split("\n")
        assert lines[0] == lines[0].strip()
        assert all(line.strip() and line == line.rstrip() for line in lines)
        assert all(line.strip() in without_comments for line in lines), symbol.signature


@pytest.mark.parametrize(("text", "path"), ALL_SAMPLES)
def test_a_given_tree_gives_the_same_skeleton(text: str, path: str) -> None:
    """A skeleton built from an already parsed tree equals one built by parsing again."""
    tree = parse(text, language_for(path))
    source = Source(path, text, "0" * 64, language_for(path))
    assert build_skeleton(source, tree) == build_skeleton(source)


@pytest.mark.parametrize(("text", "path"), ALL_SAMPLES)
def test_crlf_files_give_the_same_skeleton(text: str, path: str) -> None:
    """CRLF files give the same skeleton as LF ones."""
    assert skeleton(text.replace("\n", "\r\n"), path) == skeleton(text, path)


def test_non_ascii_identifiers() -> None:
    """Non-ASCII identifiers and defaults are kept whole."""
    text = (
        '"""Module über Daten."""\n\n'
        "def größe(wert: int = 'ä') -> int:\n"
        '    """Die Größe."""\n'
        "    raise FehlerÄ()\n\n"
        "class Ñandú:\n"
        "    def 走る(self): ...\n"
    )
    spec = skeleton(text, "daten.py")
    assert spec.purpose == "Module über Daten."
    assert table(spec) == [
        ("größe", "function", "def größe(wert: int = 'ä') -> int", 3, 5),
        ("Ñandú", "class", "class Ñandú", 7, 8),
        ("Ñandú.走る", "method", "def 走る(self)", 8, 8),
    ]
    assert spec.raises == ["FehlerÄ"]
    go = "package p\n\n// Ärger is trouble.\nfunc Ärger() {}\nfunc ärger() {}\n"
    assert table(skeleton(go, "p.go")) == [("Ärger", "function", "func Ärger()", 4, 4)]


def test_signatures_drop_comments_but_keep_strings() -> None:
    """Signatures drop comments but keep strings that look like comments."""
    text = (
        "def f(\n"
        "    a,  # first\n"
        '    b="# not a comment",\n'
        "    c='x  y',  # third\n"
        "):  # trailing\n"
        "    pass\n"
    )
    assert table(skeleton(text, "f.py")) == [
        ("f", "function", "def f(\n    a,\n    b=\"# not a comment\",\n    c='x  y',\n)", 1, 6)
    ]
    ts = "export function g(/* inline */ a: string = '//  x', // end\n b = `t  ${1}`) {}\n"
    assert table(skeleton(ts, "g.ts")) == [
        ("g", "function", "export function g(a: string = '//  x',\n b = `t  ${1}`)", 1, 2)
    ]


def test_long_values_stop_at_the_value() -> None:
    """A constant's signature stops before its value."""
    text = "TABLE = {\n    'a': 1,\n}\nLONG = " + "1 + " * 40 + "1\n"
    assert table(skeleton(text, "t.py")) == [
        ("TABLE", "constant", "TABLE", 1, 3),
        ("LONG", "constant", "LONG", 4, 4),
    ]


def test_broken_code_is_reported_not_fatal() -> None:
    """Broken code is reported in the spec, and the rest is still listed."""
    text = (
        '"""Half written."""\n\n'
        "def good(a):\n    return a\n\n"
        "def broken(a:\n    return ]\n\n"
        "class Later:\n    pass\n"
    )
    spec = skeleton(text, "broken.py")
    assert spec.purpose == "Half written."
    assert spec.symbols[0].name == "good"
    assert spec.edge_cases == [
        "The file has syntax errors; the parse, and so this spec, may be incomplete."
    ]


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "deep.py"),
        ("def f(a=" + "(" * 5000 + "1" + ")" * 5000 + "):\n    raise E\n", "deep.py"),
        ("".join(" " * n + "if x:\n" for n in range(300)) + " " * 300 + "raise Deep\n", "deep.py"),
        ("export function f() {\n" + "if (a) {\n" * 5000 + "}\n" * 5001, "deep.js"),
        ("package p\nfunc F() {\n" + "if x {\n" * 5000 + "}\n" * 5001, "deep.go"),
        ("pub fn f() {" + "{" * 5000 + "}" * 5001, "deep.rs"),
        ("public class A { public void f() {" + "if (x) {" * 5000 + "}" * 5000 + "} }", "A.java"),
    ],
)
def test_deeply_nested_code(text: str, path: str) -> None:
    """Deeply nested code gives a skeleton without a recursion error."""
    spec = skeleton(text, path)
    assert spec.source == path


def test_text_files() -> None:
    """Text files get a purpose from their heading and no symbols."""
    text_spec = skeleton("# Deployment notes\n\nStep one.\n", "NOTES.md")
    assert text_spec.language == "text"
    assert text_spec.purpose == "Deployment notes"
    assert text_spec.symbols == []
    shell = skeleton("#!/bin/sh\n# Build the site.\nmake\n", "build")
    assert shell.purpose == "Build the site."
    assert shell.behaviour == ["Executable script (`#!/bin/sh`)."]
    c_file = skeleton("#include <stdio.h>\nint main() {}\n", "main.c")
    assert c_file.purpose == "Text file of 2 lines; no parser for this language."
    assert skeleton("", "empty.txt").purpose == "Empty file."
    assert skeleton("", "empty.py").purpose == "Empty file."
    assert skeleton("one line", "x.cfg").purpose == (
        "Text file of 1 line; no parser for this language."
    )


def test_fallback_purpose_names_what_is_defined() -> None:
    """Without docs the purpose names what the file defines."""
    text = "".join(f"def f{n}(): pass\n" for n in range(10))
    assert skeleton(text, "many.py").purpose == (
        "Python file defining f0, f1, f2, f3, f4, f5, f6, f7 and 2 more."
    )
    assert skeleton("let x = 1;\n", "ts.ts").purpose == "TypeScript file defining x."


def test_leading_comment_attached_to_a_definition_is_its_doc_not_the_purpose() -> None:
    """A comment right above a definition documents it, and is not the file's purpose."""
    text = "// Adds numbers.\nexport function add(a: number) {}\nexport const b = 1;\n"
    spec = skeleton(text, "a.ts")
    assert descriptions(spec) == {"add": "Adds numbers."}
    assert spec.purpose == "TypeScript file defining add, b."


async def test_static_provider() -> None:
    """The static provider satisfies the protocol, makes no call and answers from the skeleton."""
    provider: Provider = StaticProvider()
    assert (provider.name, provider.model, provider.prompt_version) == ("static", None, 3)
    assert provider.makes_calls is False
    source = Source("pkg/mod.py", PYTHON, "0" * 64, "python")
    tree = parse(PYTHON, "python")
    spec = build_skeleton(source, tree)
    chunks = chunk_source(PYTHON, "python", 120, tree=tree)
    assert len(chunks) > 2
    noted: dict[str, str] = {}
    for chunk in chunks:
        request = ChunkRequest(source.path, "python", chunk, len(chunks), spec)
        result = await provider.analyse(request)
        assert result.usage.tokens_in == result.usage.tokens_out == 0
        assert result.analysis.purpose == spec.purpose
        for note in result.analysis.symbols:
            symbol = next(s for s in spec.symbols if s.name == note.name)
            assert chunk.line_start <= symbol.line_start <= chunk.line_end
            noted[note.name] = note.description
    # Every documented symbol exactly once, undocumented ones not at all.
    assert noted == descriptions(spec)
    synthesis = await provider.synthesise(source.path, spec, [ChunkAnalysis(purpose="x")])
    assert synthesis.analysis == ChunkAnalysis(purpose=spec.purpose)
    await provider.aclose()


# Shaped like OpenJDK's java.util.Arrays: overloads, a Javadoc separated from
# its class by a blank line, inline tags and HTML, deprecation.
JAVA_ARRAYS = """\
package java.util;

import java.util.function.IntFunction;

/**
 * This class contains various methods for manipulating arrays (such as
 * sorting and searching). This class also contains a static factory
 * that allows arrays to be viewed as lists.
 *
 * <p>The methods in this class all throw a {@code NullPointerException},
 * if the specified array reference is null, except where noted.
 *
 * @author Josh Bloch
 */

public final class Arrays {

    // Suppresses default constructor, ensuring non-instantiability.
    private Arrays() {}

    /**
     * Sorts the specified array into ascending numerical order.
     * See {@link #sort(long[])} and {@link java.util.List#sort(Comparator) List.sort}.
     * <p>
     * Implementation note: Dual-Pivot Quicksort.
     *
     * @param a the array to be sorted
     */
    public static void sort(int[] a) {
        DualPivotQuicksort.sort(a, 0, 0, a.length);
    }

    /**
     * Sorts the specified range of the array into ascending order.
     */
    public static void sort(int[] a, int fromIndex, int toIndex) {
        rangeCheck(a.length, fromIndex, toIndex);
    }

    public static void sort(long[] a) {}

    /**
     * Old sort.
     * @deprecated use {@link #sort(int[])} instead.
     */
    @Deprecated
    public static void legacySort(int[] a,
                                  int from) {}

    @Deprecated(since = "9", forRemoval = true)
    public static void old() {}
}
"""


def test_java_overloads_keep_their_own_javadoc_in_the_written_spec(repo: GitRepo, cli: CLI) -> None:
    """Through the CLI, each Java overload keeps its own Javadoc in the written spec."""
    repo.write("src/java/util/Arrays.java", JAVA_ARRAYS)
    repo.commit()
    assert cli("generate", "src").code == 0
    text = (repo.root / "specs" / "src" / "java" / "util" / "Arrays.java.md").read_text()
    assert text.count("### `Arrays.sort`") == 3
    assert "Sorts the specified array into ascending numerical order. See `sort(long[])`" in text
    assert "Sorts the specified range of the array into ascending order." in text
    assert "**Deprecated:** use `sort(int[])` instead." in text
    assert "**Deprecated.**" in text  # @Deprecated(since = "9") gives no reason


def test_java_overloads_and_javadoc() -> None:
    """Java overloads are separate entries, each with its Javadoc cleaned of tags and HTML."""
    spec = skeleton(JAVA_ARRAYS, "java/util/Arrays.java")
    assert [(s.name, s.signature, s.line_start) for s in spec.symbols] == [
        ("Arrays", "public final class Arrays", 16),
        ("Arrays.sort", "public static void sort(int[] a)", 29),
        ("Arrays.sort", "public static void sort(int[] a, int fromIndex, int toIndex)", 36),
        ("Arrays.sort", "public static void sort(long[] a)", 40),
        (
            "Arrays.legacySort",
            "@Deprecated\n"
            "public static void legacySort(int[] a,\n"
            "                              int from)",
            46,
        ),
        ("Arrays.old", '@Deprecated(since = "9", forRemoval = true)\npublic static void old()', 50),
    ]
    # The class Javadoc survives the blank line, and <p> ends its summary.
    assert spec.purpose == (
        "This class contains various methods for manipulating arrays (such as sorting and "
        "searching). This class also contains a static factory that allows arrays to be "
        "viewed as lists."
    )
    assert "all throw a `NullPointerException`," in spec.symbols[0].docstring
    # Each overload keeps its own Javadoc; {@link} and {@code} read as code.
    assert [s.description for s in spec.symbols[:5]] == [
        spec.purpose,
        "Sorts the specified array into ascending numerical order. "
        "See `sort(long[])` and List.sort.",
        "Sorts the specified range of the array into ascending order.",
        "",
        "Old sort.",
    ]
    assert [(s.name, s.deprecated) for s in spec.symbols if s.deprecated is not None] == [
        ("Arrays.legacySort", "use `sort(int[])` instead."),
        ("Arrays.old", ""),
    ]
    inherited = "public class A {\n    /** {@inheritDoc} */\n    public int size() {}\n}\n"
    assert descriptions(skeleton(inherited, "A.java")) == {}
    # Annotation elements are methods (shaped like java.lang.Deprecated).
    annotation = (
        "public @interface Deprecated {\n"
        '    /** The version. */\n    String since() default "";\n'
        "    boolean forRemoval() default false;\n}\n"
    )
    assert table(skeleton(annotation, "Deprecated.java"))[1:] == [
        ("Deprecated.since", "method", 'String since() default ""', 3, 3),
        ("Deprecated.forRemoval", "method", "boolean forRemoval() default false", 4, 4),
    ]
    # Protected members are API to subclasses (shaped like java.util.AbstractList).
    abstract_list = (
        "public abstract class AbstractList<E> {\n"
        "    protected transient int modCount = 0;\n"
        "    protected AbstractList() {}\n"
        "    protected void removeRange(int fromIndex, int toIndex) {}\n"
        "    void outOfBoundsMsg(int index) {}\n"
        "    private void rangeCheck() {}\n"
        "}\n"
    )
    assert [(s.name, s.kind) for s in skeleton(abstract_list, "AbstractList.java").symbols] == [
        ("AbstractList", "class"),
        ("AbstractList.modCount", "field"),
        ("AbstractList.AbstractList", "constructor"),
        ("AbstractList.removeRange", "method"),
    ]


# Shaped like attrs/__init__.py and a typing-heavy module: re-exports through
# __all__ (a tuple without brackets), chained aliases, @overload stubs.
PYTHON_PACKAGE = '''\
# SPDX-License-Identifier: MIT
"""
Copyright (c) 2015 Hynek Schlawack and the attrs contributors.
Licensed under the MIT license.

Adapted from: https://github.com/python-attrs/attrs

Classes without boilerplate.
"""

from typing import overload

from . import converters, exceptions
from ._make import attrib, attrs as _attrs, Factory
from ._next_gen import define as frozen_define
import functools as ft

__all__ = "attrib", "attributes", "s", "Factory", "converters", "frozen", "define", "ft"

s = attributes = _attrs
define = frozen = frozen_define


def _helper():
    pass


@overload
def coerce(value: int) -> int: ...
@overload
def coerce(
    value: str,
    *,
    default_encoding: str = "utf-8",
) -> str: ...
def coerce(value, *, default_encoding="utf-8"):
    """Coerce a value.

    .. deprecated:: 23.1
       Use ``converters.optional`` instead.
    """
    return value
'''


def test_python_reexports_aliases_and_overloads() -> None:
    """Python re-exports, aliases and `@overload`s are listed as the package exposes them."""
    spec = skeleton(PYTHON_PACKAGE, "attr/__init__.py")
    # The licence and the credit line are not the purpose.
    assert spec.purpose == "Classes without boilerplate."
    assert table(spec) == [
        ("converters", "re-export", "from . import converters", 13, 13),
        ("attrib", "re-export", "from ._make import attrib", 14, 14),
        ("Factory", "re-export", "from ._make import Factory", 14, 14),
        ("ft", "re-export", "import functools as ft", 16, 16),
        ("s", "variable", "s = attributes = _attrs", 20, 20),
        ("attributes", "variable", "s = attributes = _attrs", 20, 20),
        ("define", "variable", "define = frozen = frozen_define", 21, 21),
        ("frozen", "variable", "define = frozen = frozen_define", 21, 21),
    ]
    # Without __all__ naming them, the overloads are private here; with it they are listed.
    exported = PYTHON_PACKAGE.replace('"ft"', '"ft", "coerce"')
    overloads = [s for s in skeleton(exported, "attr/__init__.py").symbols if s.name == "coerce"]
    assert [(s.signature, s.line_start, s.line_end) for s in overloads] == [
        ("@overload\ndef coerce(value: int) -> int", 28, 29),
        (
            "@overload\n"
            "def coerce(\n"
            "    value: str,\n"
            "    *,\n"
            '    default_encoding: str = "utf-8",\n'
            ") -> str",
            30,
            35,
        ),
    ]
    # The implementation is not listed; its docstring documents every overload.
    assert {s.description for s in overloads} == {"Coerce a value."}
    assert {s.deprecated for s in overloads} == {"Since 23.1. Use ``converters.optional`` instead."}


def test_python_decorators_stay_on_their_own_lines() -> None:
    # Shaped like httpx's streaming helpers and a property with a setter.
    """Decorators stay on their own lines in a signature."""
    text = (
        "class Client:\n"
        "    @contextmanager\n"
        "    def stream(\n"
        "        self,\n"
        "        method: str,\n"
        "        url: URL | str,\n"
        "    ) -> Iterator[Response]:\n"
        '        """Alternative to `httpx.request()` that streams the response body."""\n'
        "\n"
        "    @property\n"
        "    def timeout(self) -> Timeout:\n"
        "        return self._timeout\n"
        "\n"
        "    @timeout.setter\n"
        "    def timeout(self, timeout: TimeoutTypes) -> None:\n"
        "        self._timeout = timeout\n"
        "\n"
        '    @deprecated("Use send() instead.")\n'
        "    def request_sync(self): ...\n"
        "\n"
        '    @typing_extensions.deprecated(reason="Gone in 2.0.")\n'
        "    def close_sync(self): ...\n"
    )
    spec = skeleton(text, "httpx/_client.py")
    assert table(spec)[1:-1] == [
        (
            "Client.stream",
            "method",
            "@contextmanager\ndef stream(\n    self,\n    method: str,\n    url: URL | str,\n"
            ") -> Iterator[Response]",
            2,
            8,
        ),
        ("Client.timeout", "property", "@property\ndef timeout(self) -> Timeout", 10, 12),
        (
            "Client.timeout",
            "property",
            "@timeout.setter\ndef timeout(self, timeout: TimeoutTypes) -> None",
            14,
            16,
        ),
        (
            "Client.request_sync",
            "method",
            '@deprecated("Use send() instead.")\ndef request_sync(self)',
            18,
            19,
        ),
    ]
    assert [s.deprecated for s in spec.symbols[-2:]] == ["Use send() instead.", "Gone in 2.0."]


def test_python_alternative_definitions_are_listed_once() -> None:
    """Alternative definitions under try/except or if/else are listed once."""
    text = (
        "try:\n    from os import fspath\nexcept ImportError:\n"
        "    def fspath(path):\n        return path\n"
        "if sys.version_info >= (3, 11):\n    def load(path): ...\nelse:\n    def load(path): ...\n"
    )
    assert [s.name for s in skeleton(text, "compat.py").symbols] == ["fspath", "load"]


# Shaped like zod's types.ts: a type and a value of one name, and overloads.
TS_ZOD = """\
export type input<T extends ZodType<any, any, any>> = T["_input"];
export function input(schema: ZodTypeAny) {
  return schema;
}

export interface ZodString extends ZodType<string, ZodStringDef> {}
export const ZodString = createZodString();

/** Create a schema for a string. */
export function string(params?: RawCreateParams): ZodString;
export function string(message: string): ZodString;
export function string(params?: any): ZodString {
  return new ZodString(params);
}

export class ZodType {
  /** Parse a value. */
  parse(data: unknown): Output;
  parse(data: unknown, params: ParseParams): Output;
  parse(data: unknown, params?: ParseParams): Output {
    return data;
  }
  "~standard": StandardSchemaV1.Props<Input, Output>;
}

export declare function coerce(x: string): string;
export declare function coerce(x: number): number;

////////////////////////////////////////
//////////      ZodString     //////////
////////////////////////////////////////
export type IpVersion = "v4" | "v6";

// Adapted from https://stackoverflow.com/a/3143231
export function datetimeRegex(args: { precision?: number | null }) {}
"""


def test_typescript_overloads_and_shared_names() -> None:
    """TypeScript overloads and a type sharing a value's name are all listed."""
    spec = skeleton(TS_ZOD, "src/types.ts")
    assert [(s.name, s.kind, s.signature, s.line_start) for s in spec.symbols] == [
        ("input", "type", 'export type input<T extends ZodType<any, any, any>> = T["_input"]', 1),
        ("input", "function", "export function input(schema: ZodTypeAny)", 2),
        (
            "ZodString",
            "interface",
            "export interface ZodString extends ZodType<string, ZodStringDef>",
            6,
        ),
        ("ZodString", "constant", "export const ZodString = createZodString()", 7),
        ("string", "function", "export function string(params?: RawCreateParams): ZodString", 10),
        ("string", "function", "export function string(message: string): ZodString", 11),
        ("ZodType", "class", "export class ZodType", 16),
        ("ZodType.parse", "method", "parse(data: unknown): Output", 18),
        ("ZodType.parse", "method", "parse(data: unknown, params: ParseParams): Output", 19),
        (
            "ZodType.~standard",
            "attribute",
            '"~standard": StandardSchemaV1.Props<Input, Output>',
            23,
        ),
        ("coerce", "function", "export declare function coerce(x: string): string", 26),
        ("coerce", "function", "export declare function coerce(x: number): number", 27),
        ("IpVersion", "type", 'export type IpVersion = "v4" | "v6"', 32),
        (
            "datetimeRegex",
            "function",
            "export function datetimeRegex(args: { precision?: number | null })",
            35,
        ),
    ]
    # A section banner and a credit line describe nothing.
    assert descriptions(spec) == {
        "string": "Create a schema for a string.",
        "ZodType.parse": "Parse a value.",
    }


# Shaped like a package's index.ts.
TS_INDEX = """\
/**
 * @packageDocumentation
 * Zod: TypeScript-first schema validation.
 */
export { ZodError, ZodIssueCode as IssueCode } from "./ZodError";
export * from "./types";
export * as z from "./external";
export type * from "./types";
export type { ParseParams, SafeParseResult } from "./helpers/parseUtil";
export { type Infer, default as zod } from "./zod";
import { setErrorMap as setMap } from "./errors";
import defaultErrorMap from "./locales/en";
export { setMap, defaultErrorMap };
export default defaultErrorMap;
"""


def test_typescript_reexports_name_their_origin() -> None:
    """TypeScript re-exports name their origin module."""
    spec = skeleton(TS_INDEX, "src/index.ts")
    assert [(s.name, s.kind, s.signature, s.line_start) for s in spec.symbols] == [
        ("ZodError", "re-export", 'export { ZodError } from "./ZodError"', 5),
        ("IssueCode", "re-export", 'export { ZodIssueCode as IssueCode } from "./ZodError"', 5),
        ('* from "./types"', "re-export", 'export * from "./types"', 6),
        ("z", "re-export", 'export * as z from "./external"', 7),
        ('type * from "./types"', "re-export", 'export type * from "./types"', 8),
        ("ParseParams", "re-export", 'export type { ParseParams } from "./helpers/parseUtil"', 9),
        (
            "SafeParseResult",
            "re-export",
            'export type { SafeParseResult } from "./helpers/parseUtil"',
            9,
        ),
        ("Infer", "re-export", 'export { type Infer } from "./zod"', 10),
        ("zod", "re-export", 'export { default as zod } from "./zod"', 10),
        ("setMap", "re-export", 'export { setErrorMap as setMap } from "./errors"', 13),
        (
            "defaultErrorMap",
            "re-export",
            'export { default as defaultErrorMap } from "./locales/en"',
            13,
        ),
        ("default", "re-export", 'export { default } from "./locales/en"', 14),
    ]
    assert spec.purpose.startswith('TypeScript file re-exporting from "./ZodError", "./types"')
    js = skeleton('export * from "./lib/index.js";\n', "index.mjs")
    assert table(js) == [
        ('* from "./lib/index.js"', "re-export", 'export * from "./lib/index.js"', 1, 1)
    ]


def test_export_star_entries_name_their_module() -> None:
    """`export * from "m"` binds no name: its entry is named by its module, so two of them
    in one file are two distinct entries, and `export * as ns` is named `ns`."""
    text = (
        'export * from "./a";\n'
        "export * from './b';\n"
        'export type * from "./a";\n'
        'export * as ns from "./c";\n'
    )
    spec = skeleton(text, "src/index.ts")
    assert [(s.name, s.signature) for s in spec.symbols] == [
        ('* from "./a"', 'export * from "./a"'),
        ("* from './b'", "export * from './b'"),
        ('type * from "./a"', 'export type * from "./a"'),
        ("ns", 'export * as ns from "./c"'),
    ]
    assert all(s.kind == "re-export" for s in spec.symbols)
    assert not any(s.name == "*" for s in spec.symbols)


# Shaped like rxjs 7's Notification, Subscriber, Subject and AnonymousSubject.
TS_RXJS = """\
/** Represents a push-based event or value. */
export class Notification<T> {
  constructor(
    /** The kind of notification. */
    public readonly kind: 'N' | 'E' | 'C',
    public readonly value?: T,
    protected error?: any,
    private cache: Map<string, T> = new Map(),
    readonly retries = 3,
    count: number,
  ) {}
}

export class Subscriber<T> extends Subscription {
  /** @deprecated Internal implementation detail, do not use directly. */
  protected isStopped: boolean = false;
  protected destination: Subscriber<any>;
  private stopped = false;
  #finalized = false;

  protected constructor(destination?: Subscriber<any>) {
    super();
  }

  protected get closedState(): boolean {
    return this.isStopped;
  }

  /** @internal */
  protected _next(value: T): void {}
  private _teardown(): void {}
  _conventional(): void {}
  #flush(): void {}
}

export abstract class Subject<T> {
  protected abstract _subscribe(subscriber: Subscriber<T>): Subscription;
}

export class AnonymousSubject<T> extends Subject<T> {
  constructor(public destination?: Observer<T>, private source?: Observable<T>) {
    super();
  }
}
"""


def test_typescript_parameter_properties_and_protected_members() -> None:
    """Constructor parameter properties (public, protected, readonly) are members of their
    class and protected members are API to subclasses, their signature saying so as in
    Java; private ones, `#private` ones and `_conventional` ones without a keyword are not."""
    spec = skeleton(TS_RXJS, "src/internal/Subject.ts")
    assert table(spec) == [
        ("Notification", "class", "export class Notification<T>", 2, 12),
        (
            "Notification.constructor",
            "method",
            "constructor(\n"
            "  public readonly kind: 'N' | 'E' | 'C',\n"
            "  public readonly value?: T,\n"
            "  protected error?: any,\n"
            "  private cache: Map<string, T> = new Map(),\n"
            "  readonly retries = 3,\n"
            "  count: number,\n"
            ")",
            3,
            11,
        ),
        ("Notification.kind", "attribute", "public readonly kind: 'N' | 'E' | 'C'", 5, 5),
        ("Notification.value", "attribute", "public readonly value?: T", 6, 6),
        ("Notification.error", "attribute", "protected error?: any", 7, 7),
        ("Notification.retries", "attribute", "readonly retries = 3", 9, 9),
        ("Subscriber", "class", "export class Subscriber<T> extends Subscription", 14, 34),
        ("Subscriber.isStopped", "attribute", "protected isStopped: boolean = false", 16, 16),
        ("Subscriber.destination", "attribute", "protected destination: Subscriber<any>", 17, 17),
        (
            "Subscriber.constructor",
            "method",
            "protected constructor(destination?: Subscriber<any>)",
            21,
            23,
        ),
        ("Subscriber.closedState", "property", "protected get closedState(): boolean", 25, 27),
        ("Subscriber._next", "method", "protected _next(value: T): void", 30, 30),
        ("Subject", "class", "export abstract class Subject<T>", 36, 38),
        (
            "Subject._subscribe",
            "method",
            "protected abstract _subscribe(subscriber: Subscriber<T>): Subscription",
            37,
            37,
        ),
        (
            "AnonymousSubject",
            "class",
            "export class AnonymousSubject<T> extends Subject<T>",
            40,
            44,
        ),
        (
            "AnonymousSubject.constructor",
            "method",
            "constructor(public destination?: Observer<T>, private source?: Observable<T>)",
            41,
            43,
        ),
        ("AnonymousSubject.destination", "attribute", "public destination?: Observer<T>", 41, 41),
    ]
    assert descriptions(spec)["Notification.kind"] == "The kind of notification."
    assert [s.name for s in spec.symbols if s.deprecated is not None] == ["Subscriber.isStopped"]


def test_javascript_private_class_members_stay_out() -> None:
    """A plain JavaScript class lists its public fields and methods, never `#private` ones
    nor those named with a leading `_`."""
    text = (
        "export class Queue {\n"
        "  #items = [];\n"
        "  _size = 0;\n"
        '  name = "q";\n'
        "  static #count = 0;\n"
        "  #drain() {}\n"
        "  get #head() { return this.#items[0]; }\n"
        "  push(item) { this.#items.push(item); }\n"
        "}\n"
    )
    assert table(skeleton(text, "lib/queue.js")) == [
        ("Queue", "class", "export class Queue", 1, 9),
        ("Queue.name", "attribute", 'name = "q"', 4, 4),
        ("Queue.push", "method", "push(item)", 8, 8),
    ]


def test_cli_spec_shows_protected_members_and_named_star_exports(repo: GitRepo, cli: CLI) -> None:
    """The written spec has an entry per `export * from` under its module's name, and a
    protected member's entry whose signature says `protected`; a private one has none."""
    repo.write(
        "src/index.ts",
        'export * from "./a";\nexport * from "./b";\n'
        "export class Queue {\n"
        "  constructor(protected readonly name: string, private size: number) {}\n"
        "  /** Drains the queue. */\n"
        "  protected drain(): void {}\n"
        "  private flush(): void {}\n"
        "}\n",
    )
    repo.commit()
    assert cli("generate", "src").code == 0
    text = (repo.root / "specs" / "src" / "index.ts.md").read_text()
    assert '### `* from "./a"`\n\nre-export, line 1\n' in text
    assert '### `* from "./b"`\n\nre-export, line 2\n' in text
    assert "### `*`" not in text
    assert (
        "### `Queue.name`\n\nattribute, line 4\n\n"
        "```typescript\nprotected readonly name: string\n```\n"
    ) in text
    assert (
        "### `Queue.drain`\n\nmethod, line 6\n\n"
        "```typescript\nprotected drain(): void\n```\n\nDrains the queue.\n"
    ) in text
    assert "Queue.size" not in text and "Queue.flush" not in text


# Shaped like date-fns/addDays/index.ts: the summary lives in tags.
TS_DATE_FNS = """\
/**
 * @name addDays
 * @category Day Helpers
 * @summary Add the specified number of days to the given date.
 *
 * @description
 * Add the specified number of days to the given date.
 *
 * @param date - The date to be changed
 * @returns The new date with the days added
 */
export function addDays(date: DateArg, amount: number): Date {
  return date;
}

/**
 * @name subDays
 * @description
 * Subtract the specified number of days
 * from the given date.
 *
 * @deprecated Use {@link addDays} with a negative amount,
 * it will be removed in v4.
 */
export function subDays(date: DateArg, amount: number): Date {
  return date;
}

/** @deprecated */
export const MAX = 10;
"""


def test_jsdoc_summary_tags_and_deprecation() -> None:
    """JSDoc @summary and @description give the description, and @deprecated is shown."""
    spec = skeleton(TS_DATE_FNS, "src/addDays/index.ts")
    assert descriptions(spec) == {
        "addDays": "Add the specified number of days to the given date.",
        "subDays": "Subtract the specified number of days from the given date.",
    }
    assert [(s.name, s.deprecated) for s in spec.symbols] == [
        ("addDays", None),
        ("subDays", "Use `addDays` with a negative amount, it will be removed in v4."),
        ("MAX", ""),
    ]


# Shaped like a Go package's errors.go: sentinel errors in a var block.
GO_GROUPED = """\
package store

import "errors"

var (
\t// ErrNotFound is returned when a key is missing.
\tErrNotFound = errors.New("store: not found")
\t// ErrClosed is returned after Close.
\t//
\t// Deprecated: use ErrShutdown.
\tErrClosed   = errors.New("store: closed")
\terrQuiet    = errors.New("quiet")
\tDefaultTTL, MaxTTL time.Duration
)

const (
\t// Version is the format version.
\tVersion = 2
\tlimit   = 10
)

type (
\t// Key names an entry.
\tKey string
\tValue = []byte
\tentry struct{}
)
"""


def test_go_grouped_declarations() -> None:
    """Each name of a Go grouped declaration is its own entry with its doc."""
    spec = skeleton(GO_GROUPED, "store/errors.go")
    assert table(spec) == [
        ("ErrNotFound", "variable", 'ErrNotFound = errors.New("store: not found")', 7, 7),
        ("ErrClosed", "variable", 'ErrClosed   = errors.New("store: closed")', 11, 11),
        ("DefaultTTL", "variable", "DefaultTTL, MaxTTL time.Duration", 13, 13),
        ("MaxTTL", "variable", "DefaultTTL, MaxTTL time.Duration", 13, 13),
        ("Version", "constant", "Version = 2", 18, 18),
        ("Key", "type", "Key string", 24, 24),
        ("Value", "type", "Value = []byte", 25, 25),
    ]
    assert descriptions(spec) == {
        "ErrNotFound": "ErrNotFound is returned when a key is missing.",
        "ErrClosed": "ErrClosed is returned after Close.",
        "Version": "Version is the format version.",
        "Key": "Key names an entry.",
    }
    assert spec.symbols[1].deprecated == "use ErrShutdown."


# Shaped like anyhow's macros.rs and once_cell's lib.rs.
RUST_CRATE = """\
//! Single assignment cells and lazy values.

/// Return early with an error.
///
/// This macro is equivalent to `return Err(anyhow!($args...))`.
#[macro_export]
#[rustfmt::skip]
macro_rules! bail {
    ($msg:literal $(,)?) => {
        return $crate::__private::Err($crate::__anyhow!($msg))
    };
}

macro_rules! imp { () => {}; }

pub use crate::imp::{Lazy, OnceCell as Cell, sync::*};

pub mod unsync {
    //! Single-threaded cells.

    /// A cell which can be written to only once.
    pub struct OnceCell<T> {
        inner: UnsafeCell<Option<T>>,
    }

    impl<T> OnceCell<T> {
        /// Creates a new empty cell.
        pub const fn new() -> OnceCell<T> {
            OnceCell { inner: UnsafeCell::new(None) }
        }

        #[deprecated(since = "1.19.0", note = "use `get_mut` instead")]
        pub fn get_mut_unchecked(&mut self) -> &mut T {
            todo!()
        }

        fn private(&self) {}
    }

    pub mod race {
        pub struct OnceBool;
    }

    mod hidden {
        pub fn not_public() {}

        #[macro_export]
        macro_rules! lazy_static { () => {}; }
    }
}
"""


def test_rust_macros_inline_modules_and_reexports() -> None:
    """Rust exported macros, inline `pub mod` items and `pub use` re-exports are listed."""
    spec = skeleton(RUST_CRATE, "src/lib.rs")
    assert spec.purpose == "Single assignment cells and lazy values."
    assert table(spec) == [
        ("bail!", "macro", "macro_rules! bail", 8, 12),
        ("Lazy", "re-export", "pub use crate::imp::Lazy", 16, 16),
        ("Cell", "re-export", "pub use crate::imp::OnceCell as Cell", 16, 16),
        ("*", "re-export", "pub use crate::imp::sync::*", 16, 16),
        ("unsync", "module", "pub mod unsync", 18, 50),
        ("unsync::OnceCell", "struct", "pub struct OnceCell<T>", 22, 24),
        ("unsync::OnceCell.new", "method", "pub const fn new() -> OnceCell<T>", 28, 30),
        (
            "unsync::OnceCell.get_mut_unchecked",
            "method",
            "pub fn get_mut_unchecked(&mut self) -> &mut T",
            33,
            35,
        ),
        ("unsync::race", "module", "pub mod race", 40, 42),
        ("unsync::race::OnceBool", "struct", "pub struct OnceBool", 41, 41),
        ("lazy_static!", "macro", "macro_rules! lazy_static", 48, 48),
    ]
    assert descriptions(spec) == {
        "bail!": "Return early with an error.",
        "unsync": "Single-threaded cells.",
        "unsync::OnceCell": "A cell which can be written to only once.",
        "unsync::OnceCell.new": "Creates a new empty cell.",
    }
    assert spec.symbols[7].deprecated == "use `get_mut` instead"
    # A Markdown title is not the summary (once_cell's crate docs open with `# Overview`).
    titled = "//! # Overview\n//!\n//! Cells written once.\n\npub fn f() {}\n"
    assert skeleton(titled, "src/lib.rs").purpose == "Cells written once."


# Shaped like smallvec's `Array`, num-traits' `Num` and `Inv`: what a trait asks
# of its implementors includes its associated types and constants.
RUST_TRAITS = """\
/// Types that can back a SmallVec.
pub unsafe trait Array {
    /// The type of the array's elements.
    type Item;
    /// Returns the number of items the array can hold.
    fn size() -> usize;
}

/// The base numeric trait.
pub trait Num: PartialEq + Zero + One {
    type FromStrRadixErr: core::fmt::Debug
        + core::fmt::Display;
}

/// Unary operator for retrieving the multiplicative inverse.
pub trait Inv {
    /// The result after applying the operator.
    type Output = Self;
    /// Samples per frame.
    const FRAME: usize;
    #[deprecated(note = "use FRAME")]
    const LEGACY: usize = 4;
    type Borrowed<'a>
    where
        Self: 'a;
}

trait Sealed { type Hidden; const SECRET: u8; }

unsafe impl<T, const N: usize> Array for [T; N] {
    type Item = T;
    fn size() -> usize { N }
}

impl Inv for f32 {
    type Output = f32;
    const FRAME: usize = 1;
}

pub struct Wrapper;

impl Wrapper {
    /// The largest value.
    pub const MAX: u32 = 7;
    const MIN: u32 = 0;
}
"""


def test_rust_traits_list_their_associated_types_and_constants() -> None:
    """A pub trait's associated types (bounds, default, where clause as laid out) and
    constants are entries `Trait.name`; trait impls and private traits add none, and an
    inherent impl lists only its `pub const`."""
    spec = skeleton(RUST_TRAITS, "src/lib.rs")
    assert table(spec) == [
        ("Array", "trait", "pub unsafe trait Array", 2, 7),
        ("Array.Item", "type", "type Item", 4, 4),
        ("Array.size", "method", "fn size() -> usize", 6, 6),
        ("Num", "trait", "pub trait Num: PartialEq + Zero + One", 10, 13),
        (
            "Num.FromStrRadixErr",
            "type",
            "type FromStrRadixErr: core::fmt::Debug\n    + core::fmt::Display",
            11,
            12,
        ),
        ("Inv", "trait", "pub trait Inv", 16, 26),
        ("Inv.Output", "type", "type Output = Self", 18, 18),
        ("Inv.FRAME", "constant", "const FRAME: usize", 20, 20),
        ("Inv.LEGACY", "constant", "const LEGACY: usize = 4", 22, 22),
        ("Inv.Borrowed", "type", "type Borrowed<'a>\nwhere\n    Self: 'a", 23, 25),
        ("Wrapper", "struct", "pub struct Wrapper", 40, 40),
        ("Wrapper.MAX", "constant", "pub const MAX: u32 = 7", 44, 44),
    ]
    assert descriptions(spec) == {
        "Array": "Types that can back a SmallVec.",
        "Array.Item": "The type of the array's elements.",
        "Array.size": "Returns the number of items the array can hold.",
        "Num": "The base numeric trait.",
        "Inv": "Unary operator for retrieving the multiplicative inverse.",
        "Inv.Output": "The result after applying the operator.",
        "Inv.FRAME": "Samples per frame.",
        "Wrapper.MAX": "The largest value.",
    }
    assert [s.name for s in spec.symbols if s.deprecated is not None] == ["Inv.LEGACY"]


def test_cli_specs_list_overloads_laid_out_and_redo_older_static_specs(
    repo: GitRepo, cli: CLI
) -> None:
    """Through the CLI, specs list overloads as laid out, and specs of an older static prompt
    version are redone.
    """
    repo.write(
        "src/parse.ts",
        "/** Parse a value.\n * @deprecated Use `read` instead.\n */\n"
        "export function parse(text: string): Tree;\n"
        "export function parse(\n  bytes: Uint8Array,\n  encoding?: string,\n): Tree;\n"
        "export function parse(input: any): Tree {\n  return input;\n}\n",
    )
    repo.commit()
    assert cli("generate", "src").code == 0
    spec_file = repo.root / "specs" / "src" / "parse.ts.md"
    text = spec_file.read_text()
    assert text.count("### `parse`") == 2
    assert (
        "```typescript\n"
        "export function parse(\n  bytes: Uint8Array,\n  encoding?: string,\n): Tree\n"
        "```\n"
    ) in text
    assert text.count("**Deprecated:** Use `read` instead.") == 1
    # The purpose and the first overload; the undocumented overload borrows nothing.
    assert text.count("Parse a value.") == 2
    assert cli("check", "src").code == 0
    # A spec from the previous static version is written again by the next run.
    assert "prompt_version: 3\n" in text
    spec_file.write_text(text.replace("prompt_version: 3", "prompt_version: 2"))
    assert cli("generate", "src").code == 0
    assert spec_file.read_text() == text


def test_licence_headers_and_credits_are_not_the_purpose() -> None:
    # OpenJDK's header: a licence whose last paragraph names no licence.
    """Licence headers and credit lines are never the purpose."""
    openjdk = (
        "/*\n * Copyright (c) 1997, 2021, Oracle and/or its affiliates. All rights reserved.\n"
        " *\n * This code is free software; you can redistribute it and/or modify it\n"
        " * under the terms of the GNU General Public License version 2 only.\n *\n"
        " * Please contact Oracle, 500 Oracle Parkway, Redwood Shores, CA 94065 USA\n"
        " * or visit www.oracle.com if you need additional information.\n */\n\n"
        "package java.util;\n\n/** Resizable-array lists. */\npublic class ArrayList {}\n"
    )
    assert skeleton(openjdk, "java/util/ArrayList.java").purpose == "Resizable-array lists."
    credited = (
        "// Adapted from https://github.com/moment/moment/blob/develop/src/lib/parse.js\n//\n"
        "// Helpers for parsing dates.\n\nimport { a } from './a';\n"
        "export const b = 1;\nexport const c = 2;\n"
    )
    assert skeleton(credited, "src/parse.ts").purpose == "Helpers for parsing dates."


def test_python_unpacking_assignments_bind_every_name() -> None:
    # Shaped like pickle.py's and calendar.py's module tails.
    """Unpacking assignments bind every name they unpack."""
    text = (
        "Pickler, Unpickler = _Pickler, _Unpickler\n"
        "(MONDAY, TUESDAY) = range(2)\n"
        "first, *rest = items\n"
        "COPYRIGHT = \\\n"
        "    'Type \"copyright\" for more information.'\n"
    )
    assert table(skeleton(text, "pickle.py")) == [
        ("Pickler", "variable", "Pickler, Unpickler = _Pickler, _Unpickler", 1, 1),
        ("Unpickler", "variable", "Pickler, Unpickler = _Pickler, _Unpickler", 1, 1),
        ("MONDAY", "constant", "(MONDAY, TUESDAY) = range(2)", 2, 2),
        ("TUESDAY", "constant", "(MONDAY, TUESDAY) = range(2)", 2, 2),
        ("first", "variable", "first, *rest = items", 3, 3),
        ("COPYRIGHT", "constant", "COPYRIGHT", 4, 5),
    ]


def test_typescript_export_assignment_and_interface_accessors() -> None:
    # Shaped like typescript.d.ts (`export = ts`) and lib.dom.d.ts accessors.
    """`export =` and interface accessors are listed."""
    text = (
        "declare namespace ts {\n    const version: string;\n}\nexport = ts;\n"
        "declare function helper(): void;\n"
        "export interface Document {\n"
        "    get location(): Location;\n"
        "    set location(href: string | Location);\n"
        "}\n"
    )
    assert table(skeleton(text, "typescript.d.ts")) == [
        ("ts", "namespace", "declare namespace ts", 1, 3),
        ("Document", "interface", "export interface Document", 6, 9),
        ("Document.location", "property", "get location(): Location", 7, 7),
        ("Document.location", "property", "set location(href: string | Location)", 8, 8),
    ]


def test_commonjs_shaped_like_express() -> None:
    """A CommonJS module shaped like express lists its exported function and attached properties."""
    text = (
        "/*!\n * express\n * MIT Licensed\n */\n\n'use strict';\n\n"
        "var proto = require('./application');\n\n"
        "exports = module.exports = createApplication;\n\n"
        "/**\n * Create an express application.\n *\n * @return {Function}\n */\n\n"
        "function createApplication() {\n  return proto;\n}\n\n"
        "exports.json = bodyParser.json;\n"
        "function internal() {}\n"
    )
    spec = skeleton(text, "lib/express.js")
    assert table(spec) == [
        ("createApplication", "function", "function createApplication()", 18, 20),
        ("json", "value", "exports.json = bodyParser.json", 22, 22),
    ]
    # The JSDoc reaches across the blank line; the licence header is not the purpose.
    assert descriptions(spec) == {"createApplication": "Create an express application."}
    assert spec.purpose == "JavaScript file defining createApplication, json."
