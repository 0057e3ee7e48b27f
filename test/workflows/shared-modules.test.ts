import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { workflowBundlerOptions, workflowsPath } from '../../workflow-bundle';
import {
  amendPlanUpdate,
  applyRulesUpdate,
  calendarPublishedSignal,
  decideItemUpdate,
  lifecycleUpdate,
  problemUpdate,
} from '../../workflows/messages';
import { ANCHOR, newProject, planItem, smallPlan } from '../helpers/projects';
import { useHarness } from '../helpers/workflow-harness';

/**
 * The workflow modules are preloaded: one instance of each, shared by every project a worker holds
 * (workflow-bundle.ts). The SDK deep-freezes what it shares, so a workflow that assigned to a shared
 * object would fail at once; what freezing cannot stop is a module-level `let` or a Map or Set whose
 * contents change, which one project would then see another's changes through. This walks the modules
 * the workflows import and finds any of those at module level. A read-only collection is declared
 * with a ReadonlySet or ReadonlyMap type. And zod, shared and frozen, still builds the errors of malformed
 * input inside a workflow: every update's schema refuses such input, and the project goes on.
 */

const root = resolve(dirname(workflowsPath), '..');

function importsOf(file: string, source: ts.SourceFile): string[] {
  const found: string[] = [];
  for (const statement of source.statements) {
    if (!(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement))) continue;
    if (statement.moduleSpecifier === undefined || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    if (ts.isImportDeclaration(statement) && statement.importClause?.isTypeOnly) continue;
    const specifier = statement.moduleSpecifier.text;
    if (!specifier.startsWith('.')) continue;
    const base = resolve(dirname(file), specifier);
    const target = [`${base}.ts`, `${base}/index.ts`].find((candidate) => existsSync(candidate));
    if (target === undefined) throw new Error(`${relative(root, file)}: cannot resolve ${specifier}`);
    found.push(target);
  }
  return found;
}

/** Every module of ours that the workflow entry point loads, with its parsed source. */
function workflowModules(): Map<string, ts.SourceFile> {
  const modules = new Map<string, ts.SourceFile>();
  const pending = [workflowsPath];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (modules.has(file)) continue;
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    modules.set(file, source);
    pending.push(...importsOf(file, source));
  }
  return modules;
}

const MUTABLE_COLLECTIONS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet']);

/** Module-level state in one source file that a workflow could change. */
function mutableState(source: ts.SourceFile): string[] {
  const findings: string[] = [];
  const where = (node: ts.Node) =>
    `${relative(root, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const list = statement.declarationList;
    if ((list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) !== ts.NodeFlags.Const) {
      findings.push(`${where(statement)} declares a module-level let or var`);
      continue;
    }
    for (const declaration of list.declarations) {
      const init = declaration.initializer;
      if (init === undefined || !ts.isNewExpression(init) || !ts.isIdentifier(init.expression)) continue;
      if (!MUTABLE_COLLECTIONS.has(init.expression.text)) continue;
      const type = declaration.type?.getText(source) ?? '';
      if (!/^Readonly(Set|Map)</.test(type)) {
        findings.push(`${where(declaration)} holds a ${init.expression.text} not typed read-only`);
      }
    }
  }
  return findings;
}

describe('the preloaded workflow modules', () => {
  it('are the workflow entry point and all it loads', () => {
    expect(workflowBundlerOptions.preloadModules).toEqual([workflowsPath]);
    const files = [...workflowModules().keys()].map((file) => relative(root, file));
    // The walk reaches both workflows and the domain they run.
    expect(files).toEqual(
      expect.arrayContaining([
        'workflows/index.ts',
        'workflows/major-project.ts',
        'domain/calendar.ts',
        'domain/supervision.ts',
        'workflows/digest.ts',
      ]),
    );
  });

  it('hold no module-level state that one project could change under another', () => {
    const findings = [...workflowModules().values()].flatMap(mutableState);
    expect(findings).toEqual([]);
  });

  it('would be caught holding some', () => {
    const source = ts.createSourceFile(
      `${root}/domain/example.ts`,
      [
        'let counter = 0;',
        'const seen = new Map<string, number>();',
        'const fixed: ReadonlySet<string> = new Set(["a"]);',
        'export const LIMIT = 3;',
      ].join('\n'),
      ts.ScriptTarget.ES2022,
      true,
    );
    expect(mutableState(source)).toEqual([
      'domain/example.ts:1 declares a module-level let or var',
      'domain/example.ts:2 holds a Map not typed read-only',
    ]);
  });
});

describe('zod in the shared, frozen modules', () => {
  const h = useHarness('shared-modules', ANCHOR);

  it('refuses malformed input to every update as Malformed, and the project goes on', async () => {
    const secretary = { role: 'secretary', id: 'sec-wang' } as const;
    const handle = await h.start('SHARED-1', {
      kind: 'new',
      ...newProject('SHARED-1', smallPlan([planItem('A')])),
    });
    const typeOf = (update: Promise<unknown>) =>
      update.then(
        () => 'accepted',
        (e: unknown) => {
          const cause = (e as { cause?: unknown }).cause;
          return cause instanceof ApplicationFailure ? cause.type : String(e);
        },
      );
    // Each update's outcome is taken as it is sent, so no refusal waits unheard while an earlier one is checked.
    const malformed: [string, Promise<unknown>][] = [
      [
        'decideItem',
        typeOf(
          handle.executeUpdate(decideItemUpdate, {
            args: [{ action: 'teleport', item: 'A', actor: secretary } as never],
          }),
        ),
      ],
      ['problem', typeOf(handle.executeUpdate(problemUpdate, { args: [{ action: 'raise' } as never] }))],
      [
        'amendPlan',
        typeOf(
          handle.executeUpdate(amendPlanUpdate, {
            args: [{ plan: { items: 'none' }, by: 'sec-wang', reason: 'x' } as never],
          }),
        ),
      ],
      [
        'lifecycle',
        typeOf(handle.executeUpdate(lifecycleUpdate, { args: [{ action: 'explode' } as never] })),
      ],
      ['applyRules', typeOf(handle.executeUpdate(applyRulesUpdate, { args: [{ id: 5 } as never] }))],
    ];
    for (const [name, update] of malformed) expect([name, await update]).toEqual([name, 'Malformed']);
    await handle.signal(calendarPublishedSignal, { year: 'next' } as never);
    await handle.executeUpdate(decideItemUpdate, {
      args: [{ action: 'submit', item: 'A', actor: secretary }],
    });
    expect((await h.state(handle)).state.items.A!.status).toBe('submitted');
  });
});
