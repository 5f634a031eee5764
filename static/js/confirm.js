// Forms with data-confirm ask before they are sent (no inline handlers: the CSP forbids them).
document.addEventListener("submit", (event) => {
  const question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
