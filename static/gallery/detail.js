// The gallery detail page's comparison viewer (a file, not an inline script: the CSP allows no inline script).
import { initViewers } from "../upscaler/compare.js";

initViewers();
