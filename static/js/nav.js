// The menu button of the top bar on a phone: shows and hides the navigation.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector(".menu-toggle");
  const bar = document.querySelector(".topbar");
  if (!button || !bar) return;
  button.addEventListener("click", () => {
    const open = bar.classList.toggle("open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
});
