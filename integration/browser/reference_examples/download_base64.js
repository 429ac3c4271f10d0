// The reference's "Downloading the result" base64 JavaScript example, as printed. Mends (printing typo):
// `ffetch(` -> `fetch(`.
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
.then(response => response.json())
.then(result => console.log("Session result:", result))
.catch(error => console.error("Error:", error));
