// The review queue's keyboard shortcuts (progressive enhancement: the buttons work without it).
// M, D or S presses the button marked with that key, unless the focus is in a text field.
document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
  if (!/^[a-z]$/i.test(event.key)) return;
  const button = document.querySelector(`button[data-key="${event.key.toLowerCase()}"]`);
  if (button) {
    event.preventDefault();
    button.click();
  }
});
