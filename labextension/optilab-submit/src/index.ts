/**
 * @optilab/jupyterlab-submit: "Submit" for graded labs under `optilab hub`, a notebook toolbar button and the
 * command `optilab:submit` (command palette: "Submit assignment"). It saves the notebook, then POSTs its path
 * to the lab server's /optilab/submit (labextension/app/optilab_submit.py), which copies it into the class
 * exchange with a UTC time stamp. Shown only when the server has an exchange (a plain `optilab lab` has none).
 * The size limit of a hand-in is the server's (the grader's MAX_SUBMISSION_BYTES, passed on by the hub): a
 * notebook over it is refused there and its message is shown here; this plugin defines no limit of its own.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Dialog, ICommandPalette, showDialog, showErrorMessage } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker, type NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ToolbarButton } from '@jupyterlab/ui-components';

const COMMAND = 'optilab:submit';

interface SubmitInfo {
  enabled: boolean;
  student: string;
  assignments: string[];
}

interface SubmitResult {
  assignment: string;
  submittedAt: string;
  count: number;
}

async function call<T>(method: 'GET' | 'POST', body?: unknown): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'optilab', 'submit');
  const res = await ServerConnection.makeRequest(url, { method, body: body === undefined ? undefined : JSON.stringify(body) }, settings);
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data as { message?: string }).message || `the server answered ${res.status} ${res.statusText}`);
  return data as T;
}

/**
 * Saves `panel` and hands it in; shows the outcome in a dialog.
 *
 * @example
 * await submitNotebook(tracker.currentWidget!);
 */
export async function submitNotebook(panel: NotebookPanel): Promise<void> {
  try {
    await panel.context.save();
    const r = await call<SubmitResult>('POST', { path: panel.context.path });
    document.body.dataset.optilabLastSubmit = `${r.assignment} ${r.submittedAt}`;
    await showDialog({
      title: 'Submitted',
      body: `${r.assignment} was handed in at ${r.submittedAt} (UTC), submission ${r.count}. You can submit again: your latest submission is the one graded.`,
      buttons: [Dialog.okButton()],
    });
  } catch (e) {
    document.body.dataset.optilabLastSubmit = `error: ${(e as Error).message}`;
    await showErrorMessage('Not submitted', (e as Error).message);
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@optilab/jupyterlab-submit:plugin',
  description: 'Submit a graded lab to the class hub',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette],
  activate: async (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null) => {
    let info: SubmitInfo;
    try {
      info = await call<SubmitInfo>('GET');
    } catch {
      return; // not the course lab's server: nothing to submit to
    }
    if (!info.enabled) return;
    app.commands.addCommand(COMMAND, {
      label: 'Submit assignment',
      caption: 'Save this notebook and hand it in to the class (your latest submission is graded)',
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => (tracker.currentWidget ? submitNotebook(tracker.currentWidget) : undefined),
    });
    palette?.addItem({ command: COMMAND, category: 'Notebook Operations' });
    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (panel: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'optilab-submit-button',
          label: 'Submit',
          tooltip: 'Save and hand in this lab to the class (your latest submission is graded)',
          onClick: () => void submitNotebook(panel),
        });
        panel.toolbar.insertItem(10, 'optilab-submit', button);
        return button;
      },
    });
    document.body.dataset.optilabSubmit = 'ready';
  },
};

export default plugin;
