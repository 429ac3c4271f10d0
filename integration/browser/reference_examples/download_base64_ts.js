// The reference's "Downloading the result" base64 TypeScript example, as printed, made runnable JavaScript
// by stripping only its type annotations: `: string`, `: Record<string, string>`, `: URLSearchParams`.
// No other mends.
const url = "https://dev.b-key.kz/api/v1/session/result/download/";
const headers = {
"x-api-key": "API_KEY"
};
const params = new URLSearchParams({
session_id: "<session_id>",
in_base64: true,
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
