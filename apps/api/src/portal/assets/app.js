// Placeholder until the portal's pages land: shows who the session belongs to.
'use strict';

fetch('/portal/api/session', { credentials: 'same-origin' })
  .then((response) => (response.ok ? response.json() : Promise.reject(new Error(String(response.status)))))
  .then((session) => {
    document.getElementById('status').textContent = `Signed in as ${session.user.id} (${session.scopes.join(', ')})`;
  })
  .catch(() => {
    document.getElementById('status').textContent = 'Not signed in: open the portal from ApiTree’s dashboard.';
  });
