/** Small DOM helpers and the page's one message area (every error lands there, never only in the console). */

export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Shows `text` in the message area (role=alert); `clearMessage` hides it. */
export function showMessage(text: string): void {
  const m = $('message');
  m.textContent = text;
  m.hidden = false;
}

export function clearMessage(): void {
  const m = $('message');
  m.textContent = '';
  m.hidden = true;
}

/** Runs `fn`, showing any error it throws on the page; returns undefined then. */
export async function reporting<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (e) {
    showMessage(`${what}: ${errorText(e)}`);
    return undefined;
  }
}

/** Makes `zone` accept dropped files, handing them to `onFiles`. */
export function dropZone(zone: HTMLElement, onFiles: (files: File[]) => void): void {
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (files.length) onFiles(files);
  });
}

/** Lets the UI paint between chunks of work. */
export function nextFrame(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
