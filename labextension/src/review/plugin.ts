// The review panel's plugin: a command (in the palette, and on a .sqlite file's context menu
// in the file browser) that opens the panel in the right sidebar over the chosen store.

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ReviewPanel } from './panel';

export const OPEN_REVIEW = 'qrp:open-review';
export const OPEN_REVIEW_FILE = 'qrp:open-review-file';
const STORE_FILE = /\.(sqlite|sqlite3|db)$/i;

/** The .sqlite file selected in the file browser, if exactly that is selected. */
function selectedStore(browser: IDefaultFileBrowser | null): string | null {
  if (!browser) {
    return null;
  }
  const items = Array.from(browser.selectedItems());
  return items.length === 1 && items[0].type !== 'directory' && STORE_FILE.test(items[0].path)
    ? items[0].path : null;
}

export const reviewPlugin: JupyterFrontEndPlugin<void> = {
  id: 'qrp-jupyterlab:review',
  description: 'A read-only review panel over a QRP store: candidates, reports, governance log, lineage, verify.',
  autoStart: true,
  optional: [ICommandPalette, IDefaultFileBrowser],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null, browser: IDefaultFileBrowser | null) => {
    let panel: ReviewPanel | null = null;
    app.commands.addCommand(OPEN_REVIEW, {
      label: 'QRP: Open Review Panel',
      caption: 'Review a QRP store read-only: candidates and blockers, reports, governance log, verify',
      execute: async args => {
        const path = typeof args.path === 'string' ? args.path : selectedStore(browser);
        if (!panel || panel.isDisposed) {
          panel = new ReviewPanel();
          app.shell.add(panel, 'right', { rank: 900 });
        }
        app.shell.activateById(panel.id);
        await panel.refreshStores(path ?? panel.store);
      }
    });
    palette?.addItem({ command: OPEN_REVIEW, category: 'QRP' });
    // The file browser's context menu: shown on a file when the selection is one store file.
    app.commands.addCommand(OPEN_REVIEW_FILE, {
      label: 'Open in QRP Review',
      caption: 'Review this QRP store read-only',
      isVisible: () => selectedStore(browser) !== null,
      execute: () => app.commands.execute(OPEN_REVIEW, { path: selectedStore(browser) })
    });
    app.contextMenu.addItem({
      command: OPEN_REVIEW_FILE,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 60
    });
  }
};
