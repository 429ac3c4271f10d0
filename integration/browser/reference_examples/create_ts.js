// The reference's "Creating a Session" TypeScript example, as printed, made runnable JavaScript by
// stripping only its type annotations: `: string`, `: Record<string, string>` (twice). No other mends.
const url = "https://dev.b-key.kz/api/v1/session/create/";
const headers = {
"Content-Type": "application/json",
"x-api-key": "API_KEY"
};
const data = {
iin: "<subjects_iin>",
phone: "7*********",
document_type: "pdf"
};
fetch(url, {
method: "POST",
headers: headers,
body: JSON.stringify(data)
})
.then(response => {
if (!response.ok) {
throw new Error(`HTTP error! status: ${response.status}`);
}
return response.json();
})
.then(result => console.log("Session created:", result))
.catch(error => console.error("Error:", error));
