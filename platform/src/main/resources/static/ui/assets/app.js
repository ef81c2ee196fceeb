// Progressive enhancement only: every page works without it.
// Times: shown in the viewer's zone, UTC kept in the title (hover).
document.querySelectorAll('time[datetime]').forEach((t) => {
  const d = new Date(t.getAttribute('datetime'));
  if (!isNaN(d)) {
    t.title = d.toISOString().replace('.000Z', 'Z') + ' (UTC)';
    t.textContent = d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }
});
// Digests: the copy buttons put the full sha256 on the clipboard.
document.querySelectorAll('button.copy[data-copy]').forEach((b) => {
  b.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(b.dataset.copy);
      b.textContent = 'copied';
    } catch (e) {
      b.textContent = 'copy failed';
    }
    setTimeout(() => { b.textContent = 'copy'; }, 1500);
  });
});
// Live status: while a publication of the timeline is on its way (queued, awaiting upload,
// verifying), poll its platform's statuses every 2 s and update the rows in place, no reload.
const timeline = document.querySelector('ol.timeline[data-status-url]');
if (timeline) {
  const FINAL = ['published', 'failed', 'retired', 'purged'];
  const pending = () => [...timeline.querySelectorAll('li[data-status]')]
    .some((li) => !FINAL.includes(li.dataset.status));
  const apply = (row) => {
    const li = document.getElementById('p-' + row.id);
    if (!li) return;
    if (li.dataset.status !== row.status) {
      li.dataset.status = row.status;
      const badge = li.querySelector('.status');
      badge.textContent = row.status;
      badge.className = 'status status-' + row.status;
    }
    li.classList.toggle('current', row.active);
    li.querySelector('.current-badge').hidden = !row.active;
    const error = li.querySelector('p.error');
    if (row.error_message) {
      error.textContent = row.error_message;
      error.hidden = false;
    }
  };
  const poll = async () => {
    if (!pending()) return;
    try {
      const r = await fetch(timeline.dataset.statusUrl, { headers: { Accept: 'application/json' } });
      if (r.ok) (await r.json()).forEach(apply);
    } catch (e) {
      // the next poll tries again
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
}
// A login link (powernode ui login) carries its one-time token in the fragment, which is never sent
// to the server: take it out of the address bar and the history, then log in with it.
if (location.pathname === '/ui/login' && location.hash.startsWith('#token=')) {
  const token = decodeURIComponent(location.hash.slice('#token='.length));
  history.replaceState(null, '', location.pathname);
  const field = document.getElementById('token');
  if (field && token) {
    field.value = token;
    field.form.submit();
  }
}
