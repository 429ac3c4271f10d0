// The reference's "Obtaining the result" TypeScript example, as printed, made runnable JavaScript by
// stripping only its type annotations: `: string`, `: Record<string, string>`, `: URLSearchParams`.
// Mends (printing typos): `"x-api-key": "API_KEY".` -> `"x-api-key": "API_KEY"`;
// `console.log("Session result:", result)))` -> `...))`.
const url = "https://dev.b-key.kz/api/v1/session/result/";
const headers = {
"x-api-key": "API_KEY"
};
const params = new URLSearchParams({
session_id: "<session_id>"
});
fetch(`${url}?${params.toString()}`, {
method: "GET",
headers: headers
})
.then(response => {
if (!response.ok) {
throw new Error(`HTTP error! status: ${response.status}`);
}
return response.json();
})
.then(result => console.log("Session result:", result))
.catch(error => console.error("Error:", error));
