// The Chirper page: calls the Chirper HTTP API under api/, keeps the signed-in name in sessionStorage.

const $ = (id) => document.getElementById(id);
const KEY = "dssmr.chirper.user";
const REFRESH_MS = 2000;

/** Readable messages for the application's error codes. */
const MESSAGES = {
  "unknown-user": (u) => `There is no user named “${u}”.`,
  "user-exists": (u) => `The name “${u}” is taken.`,
  "follow-limit": (u) => `“${u}” has reached the follow limit.`,
};

let me = sessionStorage.getItem(KEY);
let timer = null;
let busy = false;

function showError(text) {
  $("error").textContent = text;
}

function showStatus(text) {
  $("status").textContent = text;
}

/** Turns an API error body into a sentence. */
function describe(body, res) {
  if (body && typeof body === "object") {
    const code = body.code ?? body.error;
    const user = body.user ?? "";
    if (typeof code === "string" && MESSAGES[code]) return MESSAGES[code](user);
    const message = body.message ?? body.error;
    if (typeof message === "string") return message;
  }
  return `The server answered ${res.status} ${res.statusText}.`;
}

/** Calls the API; resolves with the JSON body or throws an Error with a readable message. */
async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`api/${path}`, init);
  } catch {
    throw new Error("The server cannot be reached.");
  }
  const text = await res.text();
  let data = null;
  try {
    data = text === "" ? null : JSON.parse(text);
  } catch {
    data = { message: text.slice(0, 200) };
  }
  if (!res.ok || (data && data.ok === false)) throw new Error(describe(data, res));
  return data;
}

const user = (name) => `users/${encodeURIComponent(name)}`;

function postsOf(data) {
  if (Array.isArray(data)) return data;
  if (Array.isArray(data?.posts)) return data.posts;
  if (Array.isArray(data?.timeline)) return data.timeline;
  return [];
}

function renderTimeline(posts) {
  const items = posts.map((p) => {
    const li = document.createElement("li");
    const author = document.createElement("span");
    author.className = "author";
    author.textContent = p.author;
    const text = document.createElement("p");
    text.className = "text";
    text.textContent = p.text;
    li.append(author, text);
    return li;
  });
  $("timeline").replaceChildren(...items);
  const when = new Date().toLocaleTimeString();
  $("timeline-state").textContent =
    posts.length === 0
      ? `No posts yet: follow someone or post something (checked ${when}).`
      : `${posts.length} post${posts.length === 1 ? "" : "s"}, newest first (updated ${when}).`;
}

async function refresh({ quiet = false } = {}) {
  if (!me || busy) return;
  busy = true;
  try {
    renderTimeline(postsOf(await api("GET", `${user(me)}/timeline`)));
    if (!quiet) showError("");
  } catch (e) {
    showError(`Could not read the timeline: ${e.message}`);
  } finally {
    busy = false;
  }
}

function schedule() {
  clearInterval(timer);
  timer = null;
  if (me && $("auto-refresh").checked)
    timer = setInterval(() => refresh({ quiet: true }), REFRESH_MS);
}

function render() {
  const signedIn = Boolean(me);
  $("signin-form").hidden = signedIn;
  $("signed-in").hidden = !signedIn;
  $("me").textContent = me ?? "";
  for (const id of ["post", "post-text", "follow", "unfollow", "follow-name", "refresh"]) {
    $(id).disabled = !signedIn;
  }
  if (!signedIn) {
    $("timeline").replaceChildren();
    $("timeline-state").textContent = "Sign in to read your timeline.";
  }
  schedule();
}

async function signIn(name, create) {
  showError("");
  try {
    if (create) await api("POST", "users", { user: name });
    // Reading the timeline checks that the user exists.
    const data = await api("GET", `${user(name)}/timeline`);
    me = name;
    sessionStorage.setItem(KEY, name);
    render();
    renderTimeline(postsOf(data));
    showStatus(create ? `Created ${name} and signed in.` : `Signed in as ${name}.`);
    $("post-text").focus();
  } catch (e) {
    showError(`${create ? "Could not create the user" : "Could not sign in"}: ${e.message}`);
  }
}

async function act(label, fn) {
  showError("");
  try {
    await fn();
    showStatus(label);
    await refresh();
  } catch (e) {
    showError(e.message);
  }
}

$("signin-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const name = $("signin-name").value.trim();
  if (name) signIn(name, false);
});
$("adduser").addEventListener("click", () => {
  const name = $("signin-name").value.trim();
  if (!name) {
    showError("Type a user name first.");
    $("signin-name").focus();
    return;
  }
  signIn(name, true);
});
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  me = null;
  showStatus("Signed out.");
  render();
  $("signin-name").focus();
});
$("post-text").addEventListener("input", () => {
  $("post-count").textContent = `${$("post-text").value.length} / 280`;
});
$("post-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("post-text").value;
  if (!text.trim()) return;
  act("Posted.", async () => {
    await api("POST", `${user(me)}/posts`, { text });
    $("post-text").value = "";
    $("post-count").textContent = "0 / 280";
  });
});
function followAction(kind) {
  const other = $("follow-name").value.trim();
  if (!other) {
    showError("Type the other user's name first.");
    $("follow-name").focus();
    return;
  }
  act(kind === "follow" ? `You follow ${other}.` : `You no longer follow ${other}.`, () =>
    api("POST", `${user(me)}/${kind}`, { other }),
  );
}
$("follow-form").addEventListener("submit", (e) => {
  e.preventDefault();
  followAction("follow");
});
$("unfollow").addEventListener("click", () => followAction("unfollow"));
$("refresh").addEventListener("click", () => refresh());
$("auto-refresh").addEventListener("change", schedule);

render();
if (me) refresh();
