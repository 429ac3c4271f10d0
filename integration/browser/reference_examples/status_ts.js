// The reference's "Check session status" TypeScript example, as printed, made runnable JavaScript by
// stripping only its type annotations: `: string`, `: Record<string, string>`, `: URLSearchParams`.
// Mends (printing typo): `"x-api-key": "API_KEY".` -> `"x-api-key": "API_KEY"`.
const url = "https://dev.b-key.kz/api/v1/session/status/";
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
.then(result => console.log("Session status:", result))
.catch(error => console.error("Error:", error));
