/**
 * addNote, step 2: one TransactWriteItems across both tables, so a note never exists without
 * its notebook's noteCount counting it. The table names come from the API's environment
 * variables (ctx.env), set by the stack.
 */
import { util } from '@aws-appsync/utils';
import * as ddb from '@aws-appsync/utils/dynamodb';

/** @param {import('@aws-appsync/utils').Context<{ notebookId: string, text: string }>} ctx */
export function request(ctx) {
  const text = ctx.args.text.trim();
  if (text.length === 0 || text.length > 2000) {
    util.error('text must be 1 to 2000 characters', 'ValidationError');
  }
  const caller = /** @type {import('@aws-appsync/utils').AppSyncIdentityCognito} */ (ctx.identity);
  const note = {
    notebookId: ctx.args.notebookId,
    id: util.autoUlid(),
    text,
    author: caller.sub,
    createdAt: util.time.nowISO8601(),
  };
  ctx.stash.note = note;
  return ddb.transactWrite({
    items: [
      {
        putItem: {
          table: ctx.env.NOTES_TABLE,
          key: { notebookId: note.notebookId, id: note.id },
          item: { text: note.text, author: note.author, createdAt: note.createdAt },
          condition: { id: { attributeExists: false } },
        },
      },
      {
        updateItem: {
          table: ctx.env.NOTEBOOKS_TABLE,
          key: { id: note.notebookId },
          update: { noteCount: ddb.operations.increment(1) },
          condition: { owner: { eq: caller.sub } },
        },
      },
    ],
  });
}

/** @param {import('@aws-appsync/utils').Context} ctx */
export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.stash.note;
}
