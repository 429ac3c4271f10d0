// The reference's "Uploading files for signing" (form-data) JavaScript example, as printed. Mends: none.
const url = "https://dev.b-key.kz/api/v1/session/documents/upload/";
const headers = {
"x-api-key": "API_KEY"
};
const formData = new FormData();
formData.append("session_id", "<session_id>");
formData.append("name", "example_file.pdf");
formData.append("file", document.querySelector('input[type="file"]').files[0]);
fetch(url, {
method: "POST",
headers: headers,
body: formData
})
.then(response => response.json())
.then(result => console.log("File uploaded successfully:", result))
.catch(error => console.error("Error:", error));
