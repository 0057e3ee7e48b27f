import type { Kysely, Transaction } from 'kysely';
import { type DB, jsonb } from '../db/schema';
import type { ProgressRecord } from './contract';

/**
 * Mirror a project's workflow state into PostgreSQL for lists, queues, ledgers and reports.
 *
 * Idempotent and order-proof: every row carries the workflow's revision and an upsert only wins over an
 * older revision, so a retried, late or replayed write changes nothing. The caller owns the transaction
 * (recordProgress writes escalations and the read model together), so a reader never sees half a project.
 */
export async function writeReadModel(
  trx: Kysely<DB> | Transaction<DB>,
  snapshot: ProgressRecord,
): Promise<void> {
  const { project } = snapshot;
  const { profile, revision, summary } = project;

  {
    await trx
      .insertInto('projects')
      .values({
        code: profile.code,
        name: profile.name,
        category: profile.category,
        template_id: project.templateId,
        secretary: profile.secretary,
        leader: profile.leader,
        target_start: profile.targetStart ?? null,
        stage: summary.stage,
        status: summary.done ? 'completed' : 'active',
        overdue_items: summary.overdueItems.length,
        escalation_level: summary.escalationLevel,
        revision,
        snapshot: jsonb({ summary }),
        created_at: project.registeredAt,
        updated_at: snapshot.syncedAt,
      })
      .onConflict((oc) =>
        oc
          .column('code')
          .doUpdateSet((eb) => ({
            name: eb.ref('excluded.name'),
            secretary: eb.ref('excluded.secretary'),
            leader: eb.ref('excluded.leader'),
            target_start: eb.ref('excluded.target_start'),
            stage: eb.ref('excluded.stage'),
            status: eb.ref('excluded.status'),
            overdue_items: eb.ref('excluded.overdue_items'),
            escalation_level: eb.ref('excluded.escalation_level'),
            revision: eb.ref('excluded.revision'),
            snapshot: eb.ref('excluded.snapshot'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .where('projects.revision', '<', revision),
      )
      .execute();

    if (snapshot.items.length > 0) {
      await trx
        .insertInto('project_items')
        .values(
          snapshot.items.map((i) => ({
            project_code: profile.code,
            item_code: i.code,
            name_zh: i.nameZh,
            department: i.department,
            stage: i.stage,
            lane: i.lane,
            status: i.status,
            planned_start: i.plannedStart,
            planned_finish: i.plannedFinish,
            latest_start: i.latestStart,
            submitted_at: i.submittedAt,
            accepted_at: i.acceptedAt,
            due_at: i.dueAt,
            provisional: i.provisional,
            finished_at: i.finishedAt,
            working_days_used: i.workingDaysUsed,
            returns: i.returns,
            rung: i.rungLevel,
            revision,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['project_code', 'item_code'])
            .doUpdateSet((eb) => ({
              status: eb.ref('excluded.status'),
              planned_start: eb.ref('excluded.planned_start'),
              planned_finish: eb.ref('excluded.planned_finish'),
              latest_start: eb.ref('excluded.latest_start'),
              submitted_at: eb.ref('excluded.submitted_at'),
              accepted_at: eb.ref('excluded.accepted_at'),
              due_at: eb.ref('excluded.due_at'),
              provisional: eb.ref('excluded.provisional'),
              finished_at: eb.ref('excluded.finished_at'),
              working_days_used: eb.ref('excluded.working_days_used'),
              returns: eb.ref('excluded.returns'),
              rung: eb.ref('excluded.rung'),
              revision: eb.ref('excluded.revision'),
            }))
            .where('project_items.revision', '<', revision),
        )
        .execute();
    }

    if (snapshot.problems.length > 0) {
      await trx
        .insertInto('problems')
        .values(
          snapshot.problems.map((p) => ({
            project_code: profile.code,
            problem_id: p.id,
            title: p.title,
            description: p.description,
            owner_department: p.ownerDepartment ?? null,
            owner_person: p.ownerPerson ?? null,
            blocks_item: p.blocksItem ?? null,
            status: p.status,
            deadline_at: p.deadlineAt,
            raised_by: p.raisedBy.role === 'department' ? p.raisedBy.department : p.raisedBy.id,
            raised_at: p.raisedAt,
            resolved_at: p.resolvedAt ?? null,
            verified_at: p.verifiedAt ?? null,
            rung: p.rungLevel,
            revision,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['project_code', 'problem_id'])
            .doUpdateSet((eb) => ({
              owner_department: eb.ref('excluded.owner_department'),
              owner_person: eb.ref('excluded.owner_person'),
              status: eb.ref('excluded.status'),
              deadline_at: eb.ref('excluded.deadline_at'),
              resolved_at: eb.ref('excluded.resolved_at'),
              verified_at: eb.ref('excluded.verified_at'),
              rung: eb.ref('excluded.rung'),
              revision: eb.ref('excluded.revision'),
            }))
            .where('problems.revision', '<', revision),
        )
        .execute();
    }

    const scores = Object.entries(snapshot.scores);
    if (scores.length > 0) {
      await trx
        .insertInto('department_scores')
        .values(
          scores.map(([department, points]) => ({
            department,
            project_code: profile.code,
            points,
            revision,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['department', 'project_code'])
            .doUpdateSet((eb) => ({
              points: eb.ref('excluded.points'),
              revision: eb.ref('excluded.revision'),
            }))
            .where('department_scores.revision', '<', revision),
        )
        .execute();
    }
  }
}
