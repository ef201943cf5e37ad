// The signed-in staff session shared by /playground, /playground/chat and /playground/desk: the
// token, kept in this browser's localStorage until it expires or the user signs out.

import { createAimClient } from '@happytail/aim-admin-client';

const KEY = 'aim.playground.session';
const listeners = new Set();

/** @returns {{token: string, expiresAt?: string, staffUser?: {email: string, name?: string, role?: string}} | null} */
export function currentSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (!session?.token) return null;
    if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) {
      localStorage.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  if (session) localStorage.setItem(KEY, JSON.stringify(session));
  else localStorage.removeItem(KEY);
  for (const listener of listeners) listener(currentSession());
}

export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Another tab signed in or out.
window.addEventListener('storage', (event) => {
  if (event.key === KEY) for (const listener of listeners) listener(currentSession());
});

/** A client of this server that always uses the current session's token. */
export const client = createAimClient({
  getToken: () => currentSession()?.token,
  onUnauthorized: () => {
    if (currentSession()) saveSession(null);
  },
});

/** Signs in with email and password. */
export async function signIn(email, password) {
  const answer = await createAimClient().login(email, password);
  saveSession({ token: answer.token, expiresAt: answer.expiresAt, staffUser: answer.staffUser });
  return answer;
}

/** Uses a pasted token after checking it with the server. */
export async function useToken(raw) {
  const token = raw.trim().replace(/^Bearer\s+/i, '');
  const probe = createAimClient({ token });
  const me = await probe.me();
  saveSession({ token, expiresAt: tokenExpiry(token), staffUser: me });
  return me;
}

/** The `exp` of a JWT, as an RFC 3339 instant, if it can be read. */
function tokenExpiry(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return payload.exp ? new Date(payload.exp * 1000).toISOString() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Renders the sign-in box into `root`: email and password, or a pasted token; once signed in,
 * who and until when, and a sign-out button.
 */
export function mountSignIn(root) {
  function render(session) {
    root.replaceChildren();
    if (session) {
      const who = session.staffUser?.email ?? 'a staff user';
      const until = session.expiresAt ? ` until ${new Date(session.expiresAt).toLocaleTimeString()}` : '';
      root.append(
        el('span', { className: 'signed-in', role: 'status' }, `Signed in as ${who}${until}`),
        button('Sign out', () => saveSession(null)),
      );
      return;
    }
    const error = el('p', { className: 'error', role: 'alert' });
    const email = input('signin-email', 'Email', { type: 'email', autocomplete: 'username', required: true });
    const password = input('signin-password', 'Password', {
      type: 'password',
      autocomplete: 'current-password',
      required: true,
    });
    const form = el('form', { className: 'signin', ariaLabel: 'Sign in' }, ...email, ...password, el('button', { type: 'submit' }, 'Sign in'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      try {
        await signIn(email[1].value, password[1].value);
      } catch (err) {
        error.textContent = err.message;
      }
    });
    const token = input('signin-token', 'Token', { autocomplete: 'off', spellcheck: false });
    const tokenForm = el('form', { className: 'signin', ariaLabel: 'Use a token' }, ...token, el('button', { type: 'submit' }, 'Use token'));
    tokenForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.textContent = '';
      try {
        await useToken(token[1].value);
      } catch (err) {
        error.textContent = err.status === 401 ? 'The server refused this token.' : err.message;
      }
    });
    const paste = el('details', { className: 'paste-token' }, el('summary', {}, 'or paste a token'), tokenForm);
    root.append(form, paste, error);
  }
  render(currentSession());
  onSessionChange(render);
}

/** A small element builder: `el('p', {className: 'x'}, 'text', child)`. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'ariaLabel') node.setAttribute('aria-label', value);
    else if (key.startsWith('data') || key.includes('-') || key === 'role' || key === 'for') node.setAttribute(key, value === true ? '' : value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function button(label, onClick, props = {}) {
  const node = el('button', { type: 'button', ...props }, label);
  node.addEventListener('click', onClick);
  return node;
}

/** A labelled input: `[label, input]`. */
function input(id, label, props) {
  const field = el('input', { id, name: id, ...props });
  return [el('label', { htmlFor: id }, label), field];
}
