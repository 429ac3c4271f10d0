// The reference's "Uploading Files for Signature in Base64 Format" TypeScript example, as printed, made
// runnable JavaScript by stripping only its type annotations: `: string`, `: Record<string, string>`.
// No other mends.
const url = "https://dev.b-key.kz/api/v1/session/documents/upload/base64/";
const headers = {
"x-api-key": "API_KEY",
"accept": "application/json",
"Content-Type": "application/json",
};
const jsonData = {
session_id: "<session_id>",
name: "example_file.pdf",
base64_file: "<base64_string>",
};
fetch(url, {
method: "POST",
headers: headers,
body: JSON.stringify(jsonData),
})
.then(response => {
if (!response.ok) {
throw new Error(`HTTP error! status: ${response.status}`);
}
return response.json();
})
.then(result => console.log("File uploaded successfully:", result))
.catch(error => console.error("Error:", error));
