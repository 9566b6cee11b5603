// Progressive enhancement shared by every page. Pages work without it.
document.documentElement.classList.add("js");
