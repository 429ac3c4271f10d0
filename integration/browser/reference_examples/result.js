// The reference's "Obtaining the result" JavaScript example, as printed. Mends (printing typos):
// `"x-api-key": "API_KEY".` -> `"x-api-key": "API_KEY"`; `console.log("Session result:", result)))` -> `...))`.
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
.then(response => response.json())
.then(result => console.log("Session result:", result))
.catch(error => console.error("Error:", error));
