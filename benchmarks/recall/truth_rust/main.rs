//! Public declarations of Rust files, read with `syn` (spans from proc-macro2's
//! span-locations).
//!
//! Reads file paths (one a line) on stdin and prints one JSON object a line:
//! {"file", "decls"} or {"file", "error"}; each declaration is {"name",
//! "kind", "line", "full", "head", "value"} (see truth_python.py). A
//! declaration's text starts after its outer attributes (doc comments
//! included).
//!
//! Public: items whose visibility is exactly `pub` (functions, structs, enums,
//! unions, traits, type aliases, constants, statics, modules), also inside an
//! inline `pub mod x { }` (named `x::Item`); `#[macro_export]` macros (named
//! `name!`, at the crate root, signature `macro_rules! name`); `pub use`
//! re-exports, one per name brought in (signature `pub use path::name`);
//! `pub` named fields of structs and unions; every enum variant; trait
//! methods, associated types (with their bounds or default) and associated
//! constants (named `Trait.name`); `pub` methods and constants of inherent
//! `impl` blocks (named `Type.name`). Impls of a trait add no names.

use proc_macro2::{Delimiter, LineColumn, TokenStream, TokenTree};
use quote::ToTokens;
use std::io::{self, BufRead, Write};
use syn::{Fields, ImplItem, Item, TraitItem, Type, UseTree, Visibility};

struct Reader<'a> {
    text: &'a str,
    lines: Vec<usize>,
    out: Vec<String>,
}

fn quote_json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn first_start(tree: &TokenTree) -> LineColumn {
    match tree {
        TokenTree::Group(group) => group.span_open().start(),
        other => other.span().start(),
    }
}

fn last_end(tree: &TokenTree) -> LineColumn {
    match tree {
        TokenTree::Group(group) => group.span_close().end(),
        other => other.span().end(),
    }
}

fn is_pub(vis: &Visibility) -> bool {
    matches!(vis, Visibility::Public(_))
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let mut lines = vec![0];
        for (index, byte) in text.bytes().enumerate() {
            if byte == b'\n' {
                lines.push(index + 1);
            }
        }
        Reader { text, lines, out: Vec::new() }
    }

    /// The byte offset of a line (1-based) and column (0-based, in characters).
    fn offset(&self, at: LineColumn) -> usize {
        let start = self.lines[at.line - 1];
        self.text[start..]
            .char_indices()
            .nth(at.column)
            .map(|(index, _)| start + index)
            .unwrap_or(self.text.len())
    }

    /// The byte range of a node's tokens after its outer attributes.
    fn range(&self, tokens: TokenStream) -> Option<(usize, usize)> {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut index = 0;
        while index + 1 < trees.len() {
            let attribute = matches!(&trees[index], TokenTree::Punct(p) if p.as_char() == '#')
                && matches!(&trees[index + 1], TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket);
            if !attribute {
                break;
            }
            index += 2;
        }
        let first = trees.get(index)?;
        let last = trees.last()?;
        Some((self.offset(first_start(first)), self.offset(last_end(last))))
    }

    fn start_of(&self, tokens: TokenStream) -> Option<usize> {
        tokens.into_iter().next().map(|tree| self.offset(first_start(&tree)))
    }

    fn line(&self, offset: usize) -> usize {
        match self.lines.binary_search(&offset) {
            Ok(index) => index + 1,
            Err(index) => index,
        }
    }

    fn push(&mut self, name: &str, kind: &str, line: usize, full: &str, head: &str, value: bool) {
        self.out.push(format!(
            "{{\"name\":{},\"kind\":{},\"line\":{},\"full\":{},\"head\":{},\"value\":{}}}",
            quote_json(name),
            quote_json(kind),
            line,
            quote_json(full),
            quote_json(head),
            value
        ));
    }

    /// A declaration from its tokens; its head ends where ``head_end`` starts.
    fn add(&mut self, name: &str, kind: &str, tokens: TokenStream, head_end: Option<LineColumn>, value: bool) {
        let Some((start, end)) = self.range(tokens) else { return };
        let full = &self.text[start..end];
        let head = match head_end {
            Some(at) => &self.text[start..self.offset(at).max(start)],
            None => full,
        };
        let (full, head) = (full.to_string(), head.to_string());
        self.push(name, kind, self.line(start), &full, &head, value);
    }

    fn items(&mut self, items: &[Item], path: &str) {
        for item in items {
            self.item(item, path);
        }
    }

    fn item(&mut self, item: &Item, path: &str) {
        let tokens = item.to_token_stream();
        match item {
            Item::Fn(f) if is_pub(&f.vis) => {
                let name = format!("{}{}", path, f.sig.ident);
                self.add(&name, "function", tokens, Some(f.block.brace_token.span.start()), false);
            }
            Item::Struct(s) if is_pub(&s.vis) => {
                let name = format!("{}{}", path, s.ident);
                let body = match &s.fields {
                    Fields::Named(named) => Some(named.brace_token.span.start()),
                    _ => None,
                };
                self.add(&name, "struct", tokens, body, false);
                if let Fields::Named(named) = &s.fields {
                    for field in &named.named {
                        if is_pub(&field.vis) {
                            let field_name = format!("{}.{}", name, field.ident.as_ref().unwrap());
                            self.add(&field_name, "field", field.to_token_stream(), None, false);
                        }
                    }
                }
            }
            Item::Union(u) if is_pub(&u.vis) => {
                let name = format!("{}{}", path, u.ident);
                self.add(&name, "union", tokens, Some(u.fields.brace_token.span.start()), false);
                for field in &u.fields.named {
                    if is_pub(&field.vis) {
                        let field_name = format!("{}.{}", name, field.ident.as_ref().unwrap());
                        self.add(&field_name, "field", field.to_token_stream(), None, false);
                    }
                }
            }
            Item::Enum(e) if is_pub(&e.vis) => {
                let name = format!("{}{}", path, e.ident);
                self.add(&name, "enum", tokens, Some(e.brace_token.span.start()), false);
                for variant in &e.variants {
                    let variant_name = format!("{}.{}", name, variant.ident);
                    self.add(&variant_name, "variant", variant.to_token_stream(), None, false);
                }
            }
            Item::Trait(t) if is_pub(&t.vis) => {
                let name = format!("{}{}", path, t.ident);
                self.add(&name, "trait", tokens, Some(t.brace_token.span.start()), false);
                for member in &t.items {
                    match member {
                        TraitItem::Method(method) => {
                            let method_name = format!("{}.{}", name, method.sig.ident);
                            let body = method.default.as_ref().map(|b| b.brace_token.span.start());
                            self.add(&method_name, "method", method.to_token_stream(), body, false);
                        }
                        TraitItem::Type(t) => {
                            let type_name = format!("{}.{}", name, t.ident);
                            self.add(&type_name, "type", t.to_token_stream(), None, false);
                        }
                        TraitItem::Const(c) => {
                            let const_name = format!("{}.{}", name, c.ident);
                            let value = c
                                .default
                                .as_ref()
                                .and_then(|(_, expr)| self.value_start(expr.to_token_stream()));
                            self.add(&const_name, "constant", c.to_token_stream(), value, true);
                        }
                        _ => {}
                    }
                }
            }
            Item::Type(t) if is_pub(&t.vis) => {
                self.add(&format!("{}{}", path, t.ident), "type", tokens, None, false);
            }
            Item::Const(c) if is_pub(&c.vis) => {
                let value = self.value_start(c.expr.to_token_stream());
                self.add(&format!("{}{}", path, c.ident), "constant", tokens, value, true);
            }
            Item::Static(s) if is_pub(&s.vis) => {
                let value = self.value_start(s.expr.to_token_stream());
                self.add(&format!("{}{}", path, s.ident), "static", tokens, value, true);
            }
            Item::Mod(m) if is_pub(&m.vis) => {
                let name = format!("{}{}", path, m.ident);
                let body = m.content.as_ref().map(|(brace, _)| brace.span.start());
                self.add(&name, "module", tokens, body, false);
                if let Some((_, items)) = &m.content {
                    self.items(items, &format!("{}::", name));
                }
            }
            Item::Macro(m) => {
                let exported = m.attrs.iter().any(|a| a.path.is_ident("macro_export"));
                if let (true, true, Some(ident)) = (exported, m.mac.path.is_ident("macro_rules"), &m.ident) {
                    if let Some((start, _)) = self.range(tokens) {
                        let text = format!("macro_rules! {}", ident);
                        let line = self.line(start);
                        self.push(&format!("{}!", ident), "macro", line, &text, &text, false);
                    }
                }
            }
            Item::Use(u) if is_pub(&u.vis) => {
                let mut found = Vec::new();
                let prefix = if u.leading_colon.is_some() { "::" } else { "" };
                uses(&u.tree, prefix.to_string(), &mut found);
                if let Some((start, _)) = self.range(tokens) {
                    let line = self.line(start);
                    for (name, clause) in found {
                        if name != "_" {
                            let text = format!("pub use {}", clause);
                            self.push(&format!("{}{}", path, name), "re-export", line, &text, &text, false);
                        }
                    }
                }
            }
            Item::Impl(i) if i.trait_.is_none() => {
                let owner = match &*i.self_ty {
                    Type::Path(p) => p
                        .path
                        .segments
                        .iter()
                        .map(|s| s.ident.to_string())
                        .collect::<Vec<_>>()
                        .join("::"),
                    _ => return,
                };
                for member in &i.items {
                    match member {
                        ImplItem::Method(m) if is_pub(&m.vis) => {
                            let name = format!("{}{}.{}", path, owner, m.sig.ident);
                            let body = Some(m.block.brace_token.span.start());
                            self.add(&name, "method", m.to_token_stream(), body, false);
                        }
                        ImplItem::Const(c) if is_pub(&c.vis) => {
                            let name = format!("{}{}.{}", path, owner, c.ident);
                            let value = self.value_start(c.expr.to_token_stream());
                            self.add(&name, "constant", c.to_token_stream(), value, true);
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Where a value's first token starts (the head is cut there).
    fn value_start(&self, tokens: TokenStream) -> Option<LineColumn> {
        tokens.into_iter().next().map(|tree| first_start(&tree))
    }
}

/// Each (name, path as written) a `use` tree brings in.
fn uses(tree: &UseTree, prefix: String, found: &mut Vec<(String, String)>) {
    match tree {
        UseTree::Path(p) => uses(&p.tree, format!("{}{}::", prefix, p.ident), found),
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            let text = format!("{}{}", prefix, name);
            let shown = if name == "self" {
                prefix.trim_end_matches("::").rsplit("::").next().unwrap_or("self").to_string()
            } else {
                name
            };
            found.push((shown, text));
        }
        UseTree::Rename(r) => found.push((r.rename.to_string(), format!("{}{} as {}", prefix, r.ident, r.rename))),
        UseTree::Glob(_) => found.push(("*".to_string(), format!("{}*", prefix))),
        UseTree::Group(g) => {
            for item in &g.items {
                uses(item, prefix.clone(), found);
            }
        }
    }
}

fn main() {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for path in stdin.lock().lines() {
        let path = path.expect("a path");
        if path.is_empty() {
            continue;
        }
        let answer = match std::fs::read_to_string(&path) {
            Err(error) => format!("{{\"file\":{},\"error\":{}}}", quote_json(&path), quote_json(&error.to_string())),
            Ok(text) => match syn::parse_file(&text) {
                Err(error) => format!("{{\"file\":{},\"error\":{}}}", quote_json(&path), quote_json(&error.to_string())),
                Ok(file) => {
                    let mut reader = Reader::new(&text);
                    reader.items(&file.items, "");
                    format!("{{\"file\":{},\"decls\":[{}]}}", quote_json(&path), reader.out.join(","))
                }
            },
        };
        writeln!(out, "{}", answer).expect("stdout");
    }
}
