// An import's progress, kept up to date where JavaScript runs (without it, the link on the page
// shows the latest): the page is fetched again every two seconds and its progress put in place;
// once the import has ended, the page is loaded again to show the result.
(function () {
  async function poll() {
    try {
      const answer = await fetch(window.location.href, { credentials: "same-origin" });
      const next = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = next.getElementById("progress");
      const shown = document.getElementById("progress");
      if (!fresh) {
        window.location.reload();
        return;
      }
      if (shown) shown.innerHTML = fresh.innerHTML;
    } catch (error) {
      // the server away for a moment: try again at the next turn
    }
    window.setTimeout(poll, 2000);
  }
  window.setTimeout(poll, 2000);
})();
