// The reference's "Uploading Files for Signature in Base64 Format" JavaScript example, as printed
// (its `url` is declared but unused: the fetch repeats the address). Mends: none.
const url = "https://dev.b-key.kz/api/v1/session/documents/upload/base64/";
const headers = {
"x-api-key": "API_KEY",
"accept": "application/json",
"Content-Type": "application/json"
};
fetch('https://dev.b-key.kz/api/v1/session/documents/upload/base64/', {
method: 'POST',
headers: headers,
body: JSON.stringify({
'session_id': '<session_id>',
'name': 'example_file.pdf',
'base64_file': '<base64_string>'
})
})
.then(response => response.json())
.then(result => console.log("File uploaded successfully:", result))
.catch(error => console.error("Error:", error));
