// src/http/page.ts imports favicon.svg as text (`with { type: "text" }`): its contents, as a string.
declare const text: string;
export default text;
