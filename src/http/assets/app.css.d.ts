// src/http/page.ts imports app.css as text (`with { type: "text" }`): its contents, as a string.
declare const text: string;
export default text;
