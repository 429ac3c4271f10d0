// The reference's "Creating a Session" JavaScript example, as printed. Mends: none.
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
.then(response => response.json())
.then(result => console.log("Session created:", result))
.catch(error => console.error("Error:", error));
