// Public declarations of TypeScript and JavaScript files, read with the TypeScript compiler API.
//
// Usage: node truth_ts.js <path to the typescript package>; reads file paths
// (one a line) on stdin and prints one JSON object a line: {"file", "decls"}
// or {"file", "error"}; each declaration is {"name", "kind", "line", "full",
// "head", "value"} (see truth_python.py).
//
// Public: exported declarations (`export`, `export default`, names exported by
// `export { local }` or CommonJS `exports`), listed under their own name when
// exported under it, else under their first alias (`export { local as alias }`);
// every other alias is a re-export `export { local as alias }`; each overload signature (an
// implementation behind overloads is not listed), a type and a value of one
// name both, and re-exports (`export { a, b as c } from`, `export * from`,
// `export * as ns from`, named by what they export: `ns`, and `* from "m"` or
// `type * from "m"` for a bare star); members of exported classes, interfaces
// and enums not private or #private, nor starting with `_` unless declared
// `public` or `protected` (protected members are API to subclasses), and the
// constructor's parameter properties (`constructor(public readonly kind: K)`).
// A re-export's signature names only it: `export { a as b } from "m"`,
// `export * from "m"`, `export * as ns from "m"`, `export type { T } from "m"`.
// A file that exports nothing is a script: its top-level
// declarations not starting with `_` count.
"use strict";

const fs = require("fs");
const ts = require(process.argv[2]);

function read(path, text) {
  const kind = path.endsWith(".js") || path.endsWith(".mjs") || path.endsWith(".cjs")
    ? ts.ScriptKind.JS
    : path.endsWith(".tsx") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
  const decls = [];
  const start = (node) => node.getStart(file, false);
  const line = (pos) => file.getLineAndCharacterOfPosition(pos).line + 1;
  function add(name, kind, outer, headEnd, value, end) {
    const from = start(outer);
    const to = end === undefined ? outer.end : end;
    const full = text.slice(from, to);
    const head = headEnd === undefined ? full : text.slice(from, headEnd);
    decls.push({ name, kind, line: line(from), full, head, value });
  }
  const has = (node, modifier) =>
    (ts.canHaveModifiers(node) ? ts.getModifiers(node) || [] : []).some((m) => m.kind === modifier);
  const exported = (node) => has(node, ts.SyntaxKind.ExportKeyword);

  // Names bound by imports: local name -> [original name or "*" or "default", module, type only].
  const imported = new Map();
  for (const statement of file.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.importClause) continue;
    const clause = statement.importClause;
    const module = statement.moduleSpecifier.getText(file);
    if (clause.name) imported.set(clause.name.text, ["default", module, clause.isTypeOnly]);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) {
      imported.set(bindings.name.text, ["*", module, clause.isTypeOnly]);
    } else if (bindings) {
      for (const element of bindings.elements) {
        const original = (element.propertyName || element.name).text;
        imported.set(element.name.text, [original, module, clause.isTypeOnly || element.isTypeOnly]);
      }
    }
  }
  // Local names exported by `export { a, b as c }` (no module) -> the names they are
  // exported under; `export default a` exports a under its own name; CommonJS.
  const localExports = new Map();
  const exportAs = (local, name, statement) => {
    if (!localExports.has(local)) localExports.set(local, []);
    localExports.get(local).push([name, statement]);
  };
  // Names declared by a statement that carries `export` itself.
  const direct = new Set();
  for (const statement of file.statements) {
    if (!exported(statement)) continue;
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        if (ts.isIdentifier(declaration.name)) direct.add(declaration.name.text);
      }
    } else if (statement.name && ts.isIdentifier(statement.name)) {
      direct.add(statement.name.text);
    }
  }
  const importReexports = [];
  let exportsSomething = false;
  for (const statement of file.statements) {
    if (ts.isExportDeclaration(statement)) {
      exportsSomething = true;
      if (!statement.moduleSpecifier && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements) {
          const local = (element.propertyName || element.name).text;
          if (imported.has(local)) importReexports.push([statement, element.name.text, local]);
          else exportAs(local, element.name.text, statement);
        }
      }
    } else if (ts.isExportAssignment(statement)) {
      exportsSomething = true;
      const value = statement.expression;
      if (ts.isIdentifier(value) && imported.has(value.text)) importReexports.push([statement, "default", value.text]);
      else if (ts.isIdentifier(value)) exportAs(value.text, value.text, statement);
    } else if (exported(statement)) {
      exportsSomething = true;
    } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression)) {
      const left = statement.expression.left.getText(file).replace(/\s+/g, "");
      if (left === "module.exports" || left.startsWith("exports.") || left.startsWith("module.exports.")) {
        exportsSomething = true;
      }
    }
  }
  // The name a top-level declaration is listed under: its own when it is exported
  // under it, else the first alias of `export { local as alias }`. Every other alias
  // is a re-export of the local name (added after the declarations).
  const directly = (name) =>
    direct.has(name) || (localExports.get(name) || []).some(([alias]) => alias === name);
  const declared = new Set();
  const publicNames = (statement, name) => {
    declared.add(name);
    if (!exportsSomething) return name.startsWith("_") ? [] : [name];
    // `export` on one declaration exports it alone (an interface beside an exported
    // const of the same name stays local); `export { name }` exports every meaning.
    const aliases = localExports.get(name) || [];
    if (exported(statement) || aliases.some(([alias]) => alias === name)) return [name];
    return aliases.length && !direct.has(name) ? [aliases[0][0]] : [];
  };

  // Overloaded functions: the signatures without a body, when one with a body follows.
  function overloadedBodies(nodes, nameOf) {
    const signatures = new Set();
    const implementations = new Set();
    for (const node of nodes) {
      const name = nameOf(node);
      if (name === undefined) continue;
      if (node.body) {
        if (signatures.has(name)) implementations.add(node);
      } else {
        signatures.add(name);
      }
    }
    return implementations;
  }

  const memberName = (member) => {
    if (!member.name) return undefined;
    if (ts.isPrivateIdentifier(member.name)) return undefined;
    if (has(member, ts.SyntaxKind.PrivateKeyword)) return undefined;
    const declared = has(member, ts.SyntaxKind.PublicKeyword) || has(member, ts.SyntaxKind.ProtectedKeyword);
    const name = ts.isIdentifier(member.name) || ts.isStringLiteral(member.name) || ts.isNumericLiteral(member.name)
      ? member.name.text
      : member.name.getText(file);
    return (name.startsWith("_") && !declared) || name.startsWith("#") ? undefined : name;
  };

  // `constructor(public readonly kind: K, protected x: number)`: members as well as parameters.
  function parameterProperties(owner, constructor) {
    for (const parameter of constructor.parameters) {
      if (!ts.isParameterPropertyDeclaration(parameter, constructor) || !ts.isIdentifier(parameter.name)) continue;
      const name = memberName(parameter);
      if (name === undefined) continue;
      const head = parameter.initializer ? parameter.initializer.getFullStart() : undefined;
      add(`${owner}.${name}`, "attribute", parameter, head, true);
    }
  }

  function classMembers(owner, members) {
    const skip = overloadedBodies(members, (m) =>
      ts.isMethodDeclaration(m) || ts.isConstructorDeclaration(m) ? memberName(m) || (ts.isConstructorDeclaration(m) ? "constructor" : undefined) : undefined);
    for (const member of members) {
      if (ts.isConstructorDeclaration(member) && member.body) parameterProperties(owner, member);
      if (skip.has(member)) continue;
      if (ts.isConstructorDeclaration(member)) {
        if (has(member, ts.SyntaxKind.PrivateKeyword)) continue;
        add(`${owner}.constructor`, "method", member, member.body ? start(member.body) : undefined, false);
        continue;
      }
      const name = memberName(member);
      if (name === undefined) continue;
      if (ts.isMethodDeclaration(member)) {
        add(`${owner}.${name}`, "method", member, member.body ? start(member.body) : undefined, false);
      } else if (ts.isGetAccessorDeclaration(member) || ts.isSetAccessorDeclaration(member)) {
        add(`${owner}.${name}`, "property", member, member.body ? start(member.body) : undefined, false);
      } else if (ts.isPropertyDeclaration(member)) {
        const head = member.initializer ? member.initializer.getFullStart() : undefined;
        add(`${owner}.${name}`, "attribute", member, head, true);
      }
    }
  }

  function interfaceMembers(owner, members) {
    for (const member of members) {
      if (!ts.isMethodSignature(member) && !ts.isPropertySignature(member)) continue;
      const name = memberName(member);
      if (name === undefined) continue;
      add(`${owner}.${name}`, ts.isMethodSignature(member) ? "method" : "attribute", member, undefined, false);
    }
  }

  function enumMembers(owner, members) {
    for (const member of members) {
      add(`${owner}.${member.name.getText(file)}`, "constant", member, undefined, false);
    }
  }

  const functionLike = (node) => node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node));
  const classLike = (node) => node && ts.isClassExpression(node);

  const statements = file.statements;
  const skip = overloadedBodies(statements, (s) => (ts.isFunctionDeclaration(s) && s.name ? s.name.text : undefined));
  for (const statement of statements) {
    if (skip.has(statement)) continue;
    const named = (name) => (name === undefined ? (exported(statement) ? ["default"] : []) : publicNames(statement, name));
    if (ts.isFunctionDeclaration(statement)) {
      for (const name of named(statement.name && statement.name.text)) {
        add(name, "function", statement, statement.body ? start(statement.body) : undefined, false);
      }
    } else if (ts.isClassDeclaration(statement)) {
      for (const name of named(statement.name && statement.name.text)) {
        add(name, "class", statement, classBodyStart(statement), false);
        classMembers(name, statement.members);
      }
    } else if (ts.isInterfaceDeclaration(statement)) {
      for (const name of named(statement.name.text)) {
        add(name, "interface", statement, classBodyStart(statement), false);
        interfaceMembers(name, statement.members);
      }
    } else if (ts.isEnumDeclaration(statement)) {
      for (const name of named(statement.name.text)) {
        add(name, "enum", statement, classBodyStart(statement), false);
        enumMembers(name, statement.members);
      }
    } else if (ts.isTypeAliasDeclaration(statement)) {
      for (const name of named(statement.name.text)) {
        add(name, "type", statement, statement.type.getFullStart(), true);
      }
    } else if (ts.isModuleDeclaration(statement)) {
      if (!statement.body) continue;
      for (const name of named(statement.name.text)) {
        add(name, "namespace", statement, start(statement.body), false);
      }
    } else if (ts.isVariableStatement(statement)) {
      const constant = (statement.declarationList.flags & ts.NodeFlags.Const) !== 0;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name)) continue;
        for (const name of named(declaration.name.text)) {
        const value = declaration.initializer;
        if (functionLike(value)) {
          add(name, "function", statement, start(value.body), false);
        } else if (classLike(value)) {
          add(name, "class", statement, classBodyStart(value), false);
          classMembers(name, value.members);
        } else {
          add(name, constant ? "constant" : "variable", statement, value ? value.getFullStart() : undefined, true);
        }
        }
      }
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      // One name's re-export, spelt as the statement would name only it.
      const clause = statement.exportClause;
      const module = statement.moduleSpecifier.getText(file);
      const keyword = statement.isTypeOnly ? "export type" : "export";
      const reexport = (name, what) => decls.push({
        name, kind: "re-export", line: line(start(statement)),
        full: `${keyword} ${what} from ${module}`, head: `${keyword} ${what} from ${module}`, value: false,
      });
      if (!clause) {
        reexport(`${statement.isTypeOnly ? "type " : ""}* from ${module}`, "*");
      } else if (ts.isNamespaceExport(clause)) {
        reexport(clause.name.text, `* as ${clause.name.text}`);
      } else {
        for (const element of clause.elements) {
          const name = element.name.text;
          const original = element.propertyName ? element.propertyName.text : name;
          const what = original === name ? name : `${original} as ${name}`;
          reexport(name, `{ ${element.isTypeOnly ? "type " : ""}${what} }`);
        }
      }
    } else if (ts.isExportAssignment(statement) && !ts.isIdentifier(statement.expression)) {
      const value = statement.expression;
      if (functionLike(value)) add("default", "function", statement, start(value.body), false);
      else if (classLike(value)) {
        add("default", "class", statement, classBodyStart(value), false);
        classMembers("default", value.members);
      } else add("default", "value", statement, value.getFullStart(), true);
    }
  }

  for (const [local, aliases] of localExports) {
    if (!declared.has(local)) continue;
    aliases.forEach(([name, statement], index) => {
      if (name === local || (index === 0 && !directly(local))) return;
      const keyword = statement.isTypeOnly ? "export type" : "export";
      const text = `${keyword} { ${local} as ${name} }`;
      decls.push({ name, kind: "re-export", line: line(start(statement)), full: text, head: text, value: false });
    });
  }

  // `import x from "m"; export { x as y }`: a re-export, spelt as `export ... from "m"` would.
  for (const [statement, name, local] of importReexports) {
    const [original, module, typeOnly] = imported.get(local);
    const keyword = statement.isTypeOnly || typeOnly ? "export type" : "export";
    let what;
    if (original === "*") what = `* as ${name}`;
    else what = `{ ${original === name ? name : `${original} as ${name}`} }`;
    const text = `${keyword} ${what} from ${module}`;
    decls.push({ name, kind: "re-export", line: line(start(statement)), full: text, head: text, value: false });
  }

  function classBodyStart(node) {
    // The `{` that opens the members: the first one after the name and heritage clauses.
    let from = node.name ? node.name.end : start(node);
    for (const part of [node.typeParameters, node.heritageClauses]) {
      if (part && part.end > from) from = part.end;
    }
    const scanner = ts.createScanner(ts.ScriptTarget.Latest, true, ts.LanguageVariant.Standard, text, undefined, from);
    for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
      if (token === ts.SyntaxKind.OpenBraceToken) return scanner.getTokenPos();
    }
    return undefined;
  }
  return decls;
}

const paths = fs.readFileSync(0, "utf-8").split("\n").filter(Boolean);
for (const path of paths) {
  try {
    const decls = read(path, fs.readFileSync(path, "utf-8"));
    process.stdout.write(JSON.stringify({ file: path, decls }) + "\n");
  } catch (error) {
    process.stdout.write(JSON.stringify({ file: path, error: String(error) }) + "\n");
  }
}
